"""The command starts fast because `--help` and the remote commands never import the engine,
SQLAlchemy, Alembic, Flask or YAML; only a local command does, when it runs. Structural
checks on what a fresh interpreter loads (the timing is bench/startup.py's)."""
from __future__ import annotations

import pytest

import json
import subprocess
import sys
from pathlib import Path

from tests.support.servers import free_port

pytestmark = pytest.mark.database_independent

HEAVY = ("sqlalchemy", "alembic", "flask", "flask_smorest", "marshmallow", "yaml", "psycopg", "jwt",
         "lazyconfig.service", "lazyconfig.db", "lazyconfig.coherence", "lazyconfig.api")


def heavy_modules_after(code: str, cwd: Path | None = None) -> list[str]:
    """The heavy modules loaded once `code` has run in a fresh interpreter."""
    script = (f"import sys, json\n{code}\n"
              "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env={"XDG_CONFIG_HOME": "/nonexistent"}, cwd=cwd)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    return [name for name in loaded
            if name in HEAVY or name.startswith(tuple(f"{heavy}." for heavy in HEAVY))]


def cli(*args: str) -> str:
    """Run the command in process (its exit status ignored: what it loaded is the point)."""
    return ("from lazyconfig.cli import main\n"
            f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass")


def test_importing_the_command_loads_nothing_heavy():
    assert heavy_modules_after("import lazyconfig.cli") == []


def test_help_loads_nothing_heavy():
    assert heavy_modules_after(cli("--help")) == []
    assert heavy_modules_after(cli("snapshot", "rollback", "--help")) == []


def test_remote_commands_load_nothing_heavy():
    # Nothing listens on the port: the command fails after loading all it needs.
    url = f"http://127.0.0.1:{free_port()}"
    for args in (("get", "load_timeout"), ("set", "load_timeout", "12"), ("watch",)):
        assert heavy_modules_after(cli("--url", url, "--token", "t", *args)) == [], args


def test_the_check_sees_heavy_modules_when_they_load(tmp_path):
    assert "sqlalchemy" in heavy_modules_after("import lazyconfig; lazyconfig.bootstrap")
    assert "flask" in heavy_modules_after("import lazyconfig.app")
    database = f"sqlite:///{tmp_path / 'lazyconfig.db'}"
    assert "sqlalchemy" in heavy_modules_after(cli("--database-url", database, "get", "x"),
                                               cwd=tmp_path)
