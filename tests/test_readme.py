"""The user guide's tables follow the code: README's key table is the catalog (every built-in
key, with its type and default), and docs/settings.md names every setting Settings reads."""
from __future__ import annotations

import re
from pathlib import Path

from lazyconfig.domain import BUILTIN_RULES

README = Path(__file__).resolve().parents[1] / "README.md"
SETTINGS = README.parent / "docs" / "settings.md"


def _key_rows() -> dict[str, list[str]]:
    rows = {}
    for line in README.read_text().splitlines():
        match = re.match(r"\|\s*`([a-z_]+)`\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_every_builtin_key_is_documented_with_its_type_and_default():
    rows = _key_rows()
    assert len(BUILTIN_RULES) == 25
    for rule in BUILTIN_RULES:
        assert rule.key in rows, f"{rule.key} missing from README"
        value_type, default = rows[rule.key][0], rows[rule.key][1].strip("`")
        assert value_type == rule.value_type.value
        expected = str(rule.default_value).lower() if isinstance(rule.default_value, bool) \
            else str(rule.default_value)
        assert default == expected, rule.key


def test_readme_documents_no_key_the_catalog_lacks():
    known = {rule.key for rule in BUILTIN_RULES}
    assert set(_key_rows()) == known


def test_the_settings_table_names_every_setting_the_service_reads():
    from lazyconfig.settings import PREFIX, SETTING_NAMES
    table = SETTINGS.read_text()
    documented = set(re.findall(r"^\|\s*`" + PREFIX + r"([A-Z_]+)`", table, re.MULTILINE))
    assert documented == set(SETTING_NAMES)
