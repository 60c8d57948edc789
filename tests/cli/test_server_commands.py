"""The service commands: schema migrations and tokens, and the real installed command."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jwt

BIN = Path(sys.executable).parent


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


def test_token_create(cli):
    done = cli("token", "create", "--user", "dora", "--role", "viewer", "--expires-in", "60")
    assert done.exit_code == 0
    claims = jwt.decode(done.stdout.strip(), options={"verify_signature": False})
    assert (claims["sub"], claims["role"]) == ("dora", "viewer")


def test_the_installed_command_in_a_real_process(engine_env):
    def run(*args):
        return subprocess.run([str(BIN / "lazyconfig"), "--user", "eve", *args], env=engine_env,
                              capture_output=True, text=True, timeout=60)

    assert run("set", "max_reloads_per_cycle", "7").returncode == 0
    got = run("get", "max_reloads_per_cycle", "--json")
    assert got.returncode == 0 and '"updated_by": "eve"' in got.stdout
    refused = run("set", "max_reloads_per_cycle", "0")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("lazyconfig: refused: max_reloads_per_cycle")
