"""Run the `lazyconfig` command through click's runner on the test database, and in both
modes (tests/cli/modes.py)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from lazyconfig.cli import root
from tests.cli.modes import Modes, isolated


@pytest.fixture
def cli(engine_env, tmp_path):
    """cli(*args, user="ops") -> click's Result (stdout, stderr, exit_code apart), locally."""
    runner = CliRunner()
    env = {**engine_env, **isolated(tmp_path)}

    def run(*args: str, user: str | None = "ops"):
        prefix = ["--user", user] if user else []
        return runner.invoke(root, prefix + [str(a) for a in args], env=env,
                             catch_exceptions=False)
    return run


@pytest.fixture
def modes(database_url, engine_env, tmp_path):
    """The command locally and (inside `modes.serving()`) through gunicorn, one database."""
    return Modes(database_url, engine_env, tmp_path)
