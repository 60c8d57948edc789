"""Import documents in the shapes people have: a flat mapping of key to value, or the export
document; and the one parser of JSON, YAML and TOML text that the config file layer and
import files share."""
from __future__ import annotations

import re

import pytest

from lazyconfig.domain.documents import read_import_document
from lazyconfig.errors import InvalidDocument
from lazyconfig.service.formats import document_format, parse_document
from lazyconfig.service.sources import read_config_file

FLAT = {"load_timeout": 5.0, "cache_enabled": False, "feature.rules": {"a": [1, 2]}}
FLAT_TEXT = {
    "json": '{"load_timeout": 5.0, "cache_enabled": false, "feature.rules": {"a": [1, 2]}}',
    "yaml": "load_timeout: 5.0\ncache_enabled: false\nfeature.rules:\n  a: [1, 2]\n",
    "toml": 'load_timeout = 5.0\ncache_enabled = false\n"feature.rules" = { a = [1, 2] }\n',
}


def test_a_flat_mapping_is_its_own_values_nested_values_included():
    assert read_import_document(FLAT) == FLAT


def test_an_export_document_still_gives_its_values():
    exported = {"version": 1, "revision": 9, "values": FLAT, "sources": {"load_timeout": "runtime"}}
    assert read_import_document(exported) == FLAT


@pytest.mark.parametrize("document, message", [
    # Any export field makes it an export document, which must then be a whole one.
    ({"revision": 3, "load_timeout": 5.0}, "version None"),
    ({"sources": {}, "load_timeout": 5.0}, "version None"),
    ({"version": 1, "load_timeout": 5.0}, "'values'"),
    ({"version": 1, "values": {}, "load_timeout": 5.0}, "unexpected fields .*: load_timeout"),
    ({"values": {"load_timeout": 5.0}}, "version None"),
    ({1: "x"}, "keys are text, not 1"),
    ({"version": 1, "values": {None: 1}}, "keys are text, not None"),
])
def test_the_rule_between_the_two_shapes_is_one_sentence(document, message):
    with pytest.raises(InvalidDocument, match=message) as refused:
        read_import_document(document)
    if "version None" in message:  # the message teaches the rule
        assert "flat document holds only configuration keys" in refused.value.message


def test_a_key_named_like_an_export_field_goes_inside_an_export_document():
    wrapped = {"version": 1, "values": {"version": 2, "values": {"x": 1}}}
    assert read_import_document(wrapped) == {"version": 2, "values": {"x": 1}}


@pytest.mark.parametrize("kind", sorted(FLAT_TEXT))
def test_the_three_formats_parse_to_the_same_flat_document(kind):
    assert parse_document(FLAT_TEXT[kind], kind) == FLAT
    assert parse_document(FLAT_TEXT[kind].encode(), f"settings.{kind}") == FLAT


@pytest.mark.parametrize("name, kind", [
    ("json", "json"), ("YAML", "yaml"), ("yml", "yaml"), (".yml", "yaml"), ("toml", "toml"),
    ("/etc/app/Settings.TOML", "toml"), ("export.json", "json"), ("a.b.yaml", "yaml")])
def test_a_format_is_named_by_name_suffix_or_file_name(name, kind):
    assert document_format(name) == kind


@pytest.mark.parametrize("text, name, message", [
    ("a=1", "settings.ini", "unsupported config file type 'settings.ini'"),
    ("a=1", "config", "unsupported config file type 'config'"),
    ("{", "json", "cannot parse JSON"), ("a: [1", "yaml", "cannot parse YAML"),
    ("a = ", "toml", "cannot parse TOML"), (b"a = '\xff'", "toml", "cannot parse TOML"),
    ("[" * 100_000, "json", "cannot parse JSON"),
])
def test_text_that_does_not_parse_is_an_invalid_document(text, name, message):
    with pytest.raises(InvalidDocument, match=message):
        parse_document(text, name)


def test_an_empty_yaml_document_is_an_empty_mapping_and_a_list_stays_a_list():
    assert parse_document("", "yaml") == {} and parse_document("# nothing\n", "yml") == {}
    assert parse_document("[]", "yaml") == []


@pytest.mark.parametrize("kind", sorted(FLAT_TEXT))
def test_the_config_file_layer_reads_with_the_same_parser(tmp_path, kind):
    path = tmp_path / f"lazyconfig.{kind}"
    path.write_text(FLAT_TEXT[kind])
    assert read_config_file(str(path)) == FLAT
    path.write_text("- 1\n" if kind == "yaml" else "[1]" if kind == "json" else "= 1")
    with pytest.raises(InvalidDocument,
                       match=f"^{re.escape(str(path))}: (expected a mapping|cannot parse)"):
        read_config_file(str(path))
