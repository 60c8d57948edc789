"""Run the `lazyconfig` command through click's runner on the test database."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from lazyconfig.cli import root


@pytest.fixture
def cli(engine_env):
    """cli(*args, user="ops") -> click's Result (stdout, stderr, exit_code apart)."""
    runner = CliRunner()

    def run(*args: str, user: str | None = "ops"):
        prefix = ["--user", user] if user else []
        return runner.invoke(root, prefix + [str(a) for a in args], env=engine_env,
                             catch_exceptions=False)
    return run
