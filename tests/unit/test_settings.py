"""One Settings reads every LAZYCONFIG_* setting: each variable reaches its attribute, an
unusable value is refused with a message naming the variable, and no other module of the
service reads a LAZYCONFIG_* name from the environment."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lazyconfig.cli import main
from lazyconfig.domain import BUILTIN_RULES
from lazyconfig.service.sources import env_name
from lazyconfig.settings import PREFIX, SETTING_NAMES, VARIABLES, InvalidSetting, Settings

ROOT = Path(__file__).resolve().parents[2]
# lazyconfig/testing.py is the test suite's server harness, on its way out of the package.
SOURCES = sorted({*(ROOT / "lazyconfig").rglob("*.py"), ROOT / "wsgi.py", ROOT / "gunicorn.conf.py",
                  *(ROOT / "scripts").glob("*.sh")} - {ROOT / "lazyconfig" / "testing.py"})
# A create_app test_config entry, never in the environment; and Click's completion switch
# for the `lazyconfig` command (cli/completion.py), which Click reads, not us.
NOT_VARIABLES = {"LAZYCONFIG_ENGINE", "LAZYCONFIG_COMPLETE"}

# A usable text for every variable and what Settings makes of it (never the default).
EXAMPLES = {
    "DATABASE_URL": ("postgresql+psycopg://db/x", "postgresql+psycopg://db/x"),
    "INSTANCE_PATH": ("/srv/lazy", Path("/srv/lazy")),
    "CONFIG_FILE": ("/etc/lazy.yaml", "/etc/lazy.yaml"),
    "SNAPSHOT_MAX_COUNT": ("0", 0),
    "SNAPSHOT_MAX_AGE_DAYS": ("7", 7),
    "CHANGELOG_MAX_ENTRIES": ("0", 0),
    "CHANGELOG_MAX_AGE_DAYS": ("90", 90),
    "POLL_INTERVAL": ("0.05", 0.05),
    "AUTO_MIGRATE": ("off", False),
    "RUN_DIR": ("/run/lazy", Path("/run/lazy")),
    "JWT_SECRET": ("s" * 40, "s" * 40),
    "ENV": ("Production", "production"),
    "TOKEN_TTL": ("60", 60),
    "MAX_TOKEN_LIFETIME": ("86400", 86400),
    "MAX_BODY_BYTES": ("2048", 2048),
    "MAX_STRING_VALUE": ("4096", 4096),
    "MAX_JSON_VALUE": ("8192", 8192),
    "LOG_LEVEL": ("debug", "DEBUG"),
    "LOG_FORMAT": ("TEXT", "text"),
    "HEADER_TIMEOUT": ("2.5", 2.5),
    "BODY_TIMEOUT": ("60", 60.0),
    "MAX_WAITING_CLIENTS": ("3", 3),
    "MAX_WATCHERS": ("5000", 5000),
    "CLIENT_TTL": ("600", 600),
    "WORKERS": ("11", 11),
    "URL": ("http://config.internal:7000", "http://config.internal:7000"),
    "TOKEN": ("a-token", "a-token"),
    "OIDC_ISSUER": ("https://sso/realms/ops", "https://sso/realms/ops"),
    "OIDC_AUDIENCE": ("lazyconfig", "lazyconfig"),
    "OIDC_JWKS_URL": ("https://sso/certs", "https://sso/certs"),
    "OIDC_ROLE_CLAIM": ("realm_access.roles", "realm_access.roles"),
    "OIDC_ROLE_MAP": ("ops=admin, /devs=editor", (("ops", "admin"), ("/devs", "editor"))),
    "OIDC_USER_CLAIM": ("email", "email"),
    "OIDC_CLIENT_ID": ("console", "console"),
    "PROFILE": ("staging", "staging"),
    "BACKUP_DIR": ("/var/backups/lazy", Path("/var/backups/lazy")),
    "BACKUP_INTERVAL": ("3600", 3600.0),
    "ROLLOUT_POLL": ("0.25", 0.25),
    "BACKUP_KEEP": ("30", 30),
    "CLIENT_ID": ("loader-7", "loader-7"),
    "CONTEXT": ('{"cluster": "eu-1"}', {"cluster": "eu-1"}),
}


def test_every_variable_reaches_its_attribute():
    assert set(EXAMPLES) == set(VARIABLES)
    default = Settings.from_env({})
    for name, (text, expected) in EXAMPLES.items():
        attribute = VARIABLES[name].attribute
        value = getattr(Settings.from_env({PREFIX + name: text}), attribute)
        assert value == expected != getattr(default, attribute), name


def test_setting_names_derive_from_the_variables():
    assert Settings.SETTING_NAMES == SETTING_NAMES == set(VARIABLES) | {"TEST_DATABASE_URL"}


def test_web_concurrency_sets_the_workers_unless_lazyconfig_workers_does():
    assert Settings.from_env({"WEB_CONCURRENCY": "3"}).workers == 3
    assert Settings.from_env({"WEB_CONCURRENCY": "3", "LAZYCONFIG_WORKERS": "5"}).workers == 5


@pytest.mark.parametrize("name,text,expected", [
    ("TOKEN_TTL", "an hour", "a whole number of seconds, 1 or more"),
    ("TOKEN_TTL", "0", "a whole number of seconds, 1 or more"),
    ("MAX_TOKEN_LIFETIME", "30d", "a whole number of seconds, 1 or more"),
    ("MAX_BODY_BYTES", "1MiB", "a whole number of bytes"),
    ("MAX_STRING_VALUE", "0", "a whole number of characters"),
    ("SNAPSHOT_MAX_COUNT", "-1", "a whole number, 0 or more"),
    ("BACKUP_INTERVAL", "-5", "a number of seconds, 0 (off) or more"),
    ("BACKUP_KEEP", "0", "a whole number, 1 or more"),
    ("MAX_WAITING_CLIENTS", "-5", "a whole number, 0 or more"),
    ("POLL_INTERVAL", "nan", "a number of seconds above 0"),
    ("AUTO_MIGRATE", "maybe", "one of 1/true/yes/on/0/false/no/off"),
    ("LOG_LEVEL", "loud", "one of DEBUG, INFO"),
    ("LOG_FORMAT", "xml", "json or text"),
    ("URL", "config.internal:7000", "an http:// or https:// URL"),
    ("OIDC_ROLE_MAP", "ops=owner", "GROUP=ROLE pairs"),
    ("OIDC_JWKS_URL", "file:///etc/passwd", "an http:// or https:// URL"),
])
def test_an_unusable_value_is_refused_naming_the_variable(name, text, expected):
    with pytest.raises(InvalidSetting) as refused:
        Settings.from_env({PREFIX + name: text})
    assert str(refused.value).startswith(f"{PREFIX}{name} must be {expected}")
    assert repr(text) in str(refused.value)


def test_single_sign_on_is_all_three_settings_or_none():
    assert not Settings.from_env({}).oidc_enabled
    with pytest.raises(InvalidSetting, match="OIDC_AUDIENCE"):
        Settings.from_env({PREFIX + "OIDC_ISSUER": "https://sso/realms/ops"}).oidc_enabled


def test_tokens_may_not_be_made_to_live_longer_than_the_server_accepts():
    assert Settings.from_env({}).max_token_lifetime == 30 * 24 * 3600
    with pytest.raises(InvalidSetting, match="TOKEN_TTL .* must not exceed"):
        Settings.from_env({PREFIX + "TOKEN_TTL": "7200", PREFIX + "MAX_TOKEN_LIFETIME": "3600"})


def test_the_fallback_is_named_when_it_is_the_unusable_one():
    with pytest.raises(InvalidSetting, match="^WEB_CONCURRENCY must be a whole number"):
        Settings.from_env({"WEB_CONCURRENCY": "many"})


def test_the_cli_says_so_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("LAZYCONFIG_TOKEN_TTL", "-5")
    assert main(["token", "create", "--user", "x", "--role", "admin"]) == 2
    err = capsys.readouterr().err
    assert err == "lazyconfig: LAZYCONFIG_TOKEN_TTL must be a whole number of seconds, 1 or " \
                  "more, not '-5'\n"


def test_test_config_comes_after_the_environment_and_must_name_a_setting():
    env = {"LAZYCONFIG_TOKEN_TTL": "60", "LAZYCONFIG_ENV": "production"}
    settings = Settings.load({"LAZYCONFIG_TOKEN_TTL": 90, "TESTING": True}, env)
    assert (settings.token_ttl, settings.env) == (90, "production")
    with pytest.raises(InvalidSetting, match="LAZYCONFIG_MAX_WAITERS: not a lazyconfig setting"):
        Settings.load({"LAZYCONFIG_MAX_WAITERS": 1}, env)


def test_the_secret_stays_out_of_the_settings_repr():
    assert "hunter2" not in repr(Settings.from_env({"LAZYCONFIG_JWT_SECRET": "hunter2"}))


def named_variables(paths) -> set[str]:
    """Every LAZYCONFIG_* name written out in `paths`."""
    return {name for path in paths
            for name in re.findall(r"LAZYCONFIG_[A-Z][A-Z0-9_]*", path.read_text())}


def test_every_name_the_code_knows_is_a_setting_or_a_key():
    key_variables = {env_name(rule.key) for rule in BUILTIN_RULES}
    names = named_variables(SOURCES) - NOT_VARIABLES - key_variables
    assert {name.removeprefix(PREFIX) for name in names} <= SETTING_NAMES
    assert "LAZYCONFIG_JWT_SECRET" in names  # the scan sees the sources


def _literal(node: ast.AST) -> str | None:
    """The text a name is looked up by: "LAZYCONFIG_X", or PREFIX + "X"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
            and isinstance(node.left, ast.Name) and node.left.id == "PREFIX"):
        right = _literal(node.right)
        return None if right is None else PREFIX + right
    return None


def _looked_up(node: ast.AST) -> ast.AST | None:
    """What `node` looks up in a mapping, if it is a look-up: m[x], m.get(x), getenv(x),
    m.pop(x), x in m."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        return node.slice
    if isinstance(node, ast.Call) and node.args:
        called = node.func.attr if isinstance(node.func, ast.Attribute) else \
            getattr(node.func, "id", "")
        return node.args[0] if called in ("get", "getenv", "pop", "setdefault") else None
    if isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)):
        return node.left
    return None


def environment_reads(paths) -> list[str]:
    """`file:line NAME` for every look-up of a LAZYCONFIG_* name outside settings.py."""
    found = []
    for path in paths:
        if path.suffix != ".py" or path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            key = _looked_up(node)
            name = None if key is None else _literal(key)
            if name and name.startswith(PREFIX):
                found.append(f"{path.name}:{node.lineno} {name}")
    return sorted(found)


def test_no_module_but_settings_reads_a_lazyconfig_variable():
    assert environment_reads(SOURCES) == []


def test_the_read_check_sees_a_read(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import os\nPREFIX = "LAZYCONFIG_"\nos.environ.get("LAZYCONFIG_ENV")\n'
                   'os.environ[PREFIX + "TOKEN_TTL"]\nif "LAZYCONFIG_RUN_DIR" in os.environ:\n'
                   '    pass\n')
    assert environment_reads([bad]) == ["bad.py:3 LAZYCONFIG_ENV", "bad.py:4 LAZYCONFIG_TOKEN_TTL",
                                        "bad.py:5 LAZYCONFIG_RUN_DIR"]
