"""The service commands: schema migrations and tokens, and the real installed command."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jwt
import pytest

BIN = Path(sys.executable).parent


@pytest.mark.fresh_database  # the first upgrade migrates an empty file
def test_db_current_downgrade_and_upgrade(cli):
    assert cli("db", "upgrade").exit_code == 0
    current = cli("db", "current")
    assert current.exit_code == 0
    lines = current.stdout.splitlines()
    assert lines[0].split()[1] == lines[1].split()[1]
    assert cli("db", "downgrade", "base").exit_code == 0
    behind = cli("db", "current")
    assert behind.exit_code == 1 and "none (empty database)" in behind.stdout
    assert cli("db", "upgrade").exit_code == 0
    assert cli("db", "current").exit_code == 0


def test_token_create(cli, monkeypatch):
    secret = "a-configured-secret-of-at-least-32-bytes"
    monkeypatch.setenv("LAZYCONFIG_JWT_SECRET", secret)
    done = cli("token", "create", "--user", "dora", "--role", "viewer", "--expires-in", "60")
    assert done.exit_code == 0, done.stderr
    claims = jwt.decode(done.stdout.strip(), secret, algorithms=["HS256"])
    assert (claims["sub"], claims["role"]) == ("dora", "viewer")


@pytest.mark.parametrize("seconds", ["0", "2592001", "10" * 30])
def test_a_token_lifetime_the_server_would_refuse_is_bad_usage(cli, seconds, monkeypatch):
    monkeypatch.setenv("LAZYCONFIG_JWT_SECRET", "a-configured-secret-of-at-least-32-bytes")
    refused = cli("token", "create", "--user", "dora", "--role", "viewer",
                  "--expires-in", seconds)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "expires" in refused.stderr and "Traceback" not in refused.stderr


def test_the_installed_command_in_a_real_process(engine_env, make_engine):
    def run(*args):
        return subprocess.run([str(BIN / "lazyconfig"), "--user", "eve", *args], env=engine_env,
                              capture_output=True, text=True, timeout=60)

    done = run("set", "max_reloads_per_cycle", "7")
    assert done.returncode == 0, done.stderr
    refused = run("set", "max_reloads_per_cycle", "0")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("lazyconfig: refused: max_reloads_per_cycle")
    entry = make_engine().get_entry("max_reloads_per_cycle")
    assert (entry.value, entry.updated_by) == (7, "eve")


def test_changelog_compact_and_status(cli, make_engine):
    engine = make_engine()
    for n in range(12):
        engine.set("max_reloads_per_cycle", 1 + n, strict=True)
    done = cli("--user", "ops", "changelog", "compact", "--max-entries", "4")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("removed 8 change(s)") and "after revision 8" in done.stdout
    status = cli("changelog", "status")
    assert status.exit_code == 0, status.stderr
    assert status.stdout.splitlines()[:2] == ["first kept revision: 8", "head: 12"]
    assert "compacted through 8 (8 removed) by ops" in status.stdout
    assert make_engine().get_entry("max_reloads_per_cycle").value == 12
