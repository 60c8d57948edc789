"""`status` from a shell: the revision, where values come from, and every value that
breaks its rule, one per line."""
from __future__ import annotations

import json

from click.testing import CliRunner

from lazyconfig.cli import root
from tests.cli.modes import isolated


def test_status_counts_sources_and_names_each_problem(cli, engine_env, tmp_path):
    cli("set", "load_timeout", "12")
    env = {**engine_env, **isolated(tmp_path), "LAZYCONFIG_MAX_CONCURRENT_LOADS": "-3"}
    done = CliRunner().invoke(root, ["status"], env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "revision 1: 25 keys (0 custom)"
    assert lines[1] == "sources: default 24, service 0, file 0, environment 0, runtime 1"
    assert lines[2] == "1 problem(s):"
    assert lines[4].split(None, 1) == ["max_concurrent_loads",
                                       "environment value rejected: must be at least 1"]
    clean = json.loads(cli("status", "--json").stdout)
    assert clean["validation_status"] == {"valid": True, "error_count": 0, "errors": {}}
    assert clean["sources"]["runtime"] == 1 and clean["revision"] == 1
