"""Every command prints the same, and exits alike, on the database and through a server.

Each scenario runs its command lines locally on a fresh database, then, on that database
emptied, through a real gunicorn serving it; each line's exit status, stdout and stderr
must match (timestamps aside: the writes happen at different moments). Then every read
command runs in both modes on the one state the server left, where nothing may differ.
"""
from __future__ import annotations

import json

import pytest

from tests.cli.modes import Modes
from tests.integration.test_engine_importers import consul_export, env_file, etcd_answer

pytestmark = pytest.mark.slow

INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"

SCENARIOS = {
    "values": [
        (0, "set", INTERVAL, "30", "-m", "faster checks"),
        (0, "set", "lazy_loading_unloading_enabled", "off"),
        (0, "set", "max_concurrent_loads", "8", "--source", "service"),
        (0, "get", INTERVAL),
        (0, "get", INTERVAL, "--json"),
        (0, "list"),
        (0, "validate", "load_timeout", "12.5"),
        (1, "validate", STRATEGY, "FAST"),
        (0, "set", INTERVAL, "45"),
        (0, "revert", INTERVAL, "1", "-m", "back to the first"),
        (0, "get", INTERVAL),
        (1, "revert", INTERVAL, "99"),
        (1, "set", INTERVAL, "abc"),
        (1, "set", INTERVAL, "-5"),
        (1, "set", "no_such_key", "1"),
        (1, "get", "no_such_key"),
        (1, "history", "no_such_key"),
        (0, "watch", "--since", "0", "--count", "5"),
        (0, "watch", INTERVAL, "--since", "0", "--count", "3"),
        (1, "watch", "no_such_key"),
    ],
    "rules": [
        (0, "rules", "set", "api_key", "--type", "string", "--default", "", "--sensitive",
         "--description", "the upstream key"),
        (0, "set", "api_key", "s3cret"),
        (0, "list"),
        (0, "list", "--show-sensitive"),
        (0, "export"),
        (0, "rules", "set", "indexer_threads", "--type", "int", "--default", "8", "--min", "1",
         "--max", "64", "--unit", "threads"),
        (0, "rules", "set", "indexer_threads", "--max", "32"),
        (0, "rules", "show", "indexer_threads"),
        (0, "set", "indexer_threads", "16"),
        (1, "set", "indexer_threads", "100"),
        (1, "rules", "set", "load_timeout", "--max", "0.5"),
        (2, "rules", "set", "bad_pattern", "--type", "string", "--pattern", "("),
        (2, "rules", "set", "indexer_threads", "--default", "many"),
        (1, "rules", "show", "no_such_key"),
        (0, "rules", "list"),
    ],
    "snapshots": [
        (0, "set", STRATEGY, "CONSERVATIVE"),
        (0, "snapshot", "create", "-m", "before tuning", "-t", "tuning"),
        (0, "set", STRATEGY, "AGGRESSIVE"),
        (0, "set", "load_timeout", "12"),
        (0, "snapshot", "list"),
        (0, "snapshot", "show", "1"),
        (0, "diff", "1"),
        (0, "diff", "1", "--json"),
        (0, "snapshot", "rollback", "1", "--dry-run"),
        (0, "snapshot", "rollback", "1", "-k", STRATEGY),
        (0, "snapshot", "create", "-m", "after"),
        (0, "diff", "1", "3"),
        (0, "snapshot", "delete", "1"),
        (1, "snapshot", "show", "1"),
        (1, "snapshot", "rollback", "99"),
        (1, "diff", "99"),
        (2, "diff", "2", "yesterday"),
    ],
    "point_in_time": [
        (0, "set", "load_timeout", "12"),
        (0, "set", "load_timeout", "20"),
        (0, "set", STRATEGY, "AGGRESSIVE"),
        (0, "get", "load_timeout", "--at-revision", "1"),
        (0, "get", "load_timeout", "--at-revision", "1", "--json"),
        (0, "get", STRATEGY, "--at-revision", "0"),
        (1, "get", "load_timeout", "--at-revision", "99"),
        (1, "get", "no_such_key", "--at-revision", "1"),
        (0, "restore", "--at-revision", "1", "--dry-run"),
        (0, "restore", "--at-revision", "1"),
        (0, "get", "load_timeout"),
        (0, "get", STRATEGY),
        (2, "restore"),
    ],
    "importers": [
        (0, "import", "--from", "env", "{dot_env}", "--dry-run"),
        (0, "import", "--from", "env", "{dot_env}"),
        (0, "import", "--from", "consul", "--prefix", "config/lazyconfig/", "{consul}"),
        (0, "import", "--from", "etcd", "--prefix", "/config/lazyconfig/", "{etcd}"),
        (0, "import", "--from", "etcd", "--prefix", "/config/lazyconfig/", "{etcd}"),
        (1, "import", "--from", "consul", "{bad_consul}"),
        (1, "import", "--from", "env", "{bad_env}"),
        (2, "import", "--prefix", "config/", "{doc}"),
        (2, "import", "--from", "xml", "{doc}"),
    ],
    "configuration": [
        (0, "set", "cache_size_limit", "2048"),
        (0, "status"),
        (0, "import", "{doc}", "--dry-run"),
        (0, "import", "{doc}"),
        (1, "import", "{bad_values}"),
        (1, "import", "{bad_version}"),
        (0, "import", "{flat_toml}", "--dry-run"),
        (0, "import", "{flat_yaml}"),
        (1, "import", "{broken_toml}"),
        (0, "export", "--format", "yaml"),
        (0, "reset", "cache_size_limit"),
        (1, "reset", "no_such_key"),
        (0, "reset"),
        (0, "status", "--json"),
    ],
    "templates": [
        (0, "template", "list"),
        (0, "template", "show", "throughput"),
        (0, "template", "apply", "throughput", "-p", "memory_budget=8589934592", "--dry-run"),
        (0, "template", "apply", "throughput", "-p", "memory_budget=8589934592"),
        (0, "template", "drift", "throughput", "-p", "memory_budget=8589934592"),
        (0, "set", "max_concurrent_loads", "3"),
        (0, "template", "drift", "throughput", "-p", "memory_budget=8589934592", "--json"),
        (0, "template", "apply", "diagnostics"),
        (1, "template", "apply", "throughput", "-p", "memory_budget=1"),
        (1, "template", "apply", "throughput", "-p", "budget=1"),
        (1, "template", "show", "no-such-template"),
        (2, "template", "apply", "diagnostics", "-p", "oops"),
    ],
}

READS = [("list",), ("list", "--json"), ("list", "--show-sensitive"), ("export",),
         ("export", "--format", "yaml", "--show-sensitive"), ("status",), ("status", "--json"),
         ("rules", "list"), ("rules", "list", "--json"), ("rules", "show", INTERVAL, "--json"),
         ("snapshot", "list"), ("snapshot", "list", "--json"), ("get", INTERVAL, "--json"),
         ("history", INTERVAL), ("history", INTERVAL, "--json", "--limit", "2", "--offset", "1"),
         ("template", "list", "--json"), ("template", "show", "balanced", "--json")]


def documents(tmp_path) -> dict[str, str]:
    """Import documents for the configuration scenario, as files."""
    made = {"doc.json": json.dumps({"version": 1, "values": {"cache_size_limit": 4096,
                                                             "max_reloads_per_cycle": 9}}),
            "bad_values.json": json.dumps({"version": 1, "values": {"load_timeout": -1,
                                                                    "cache_enabled": False}}),
            "bad_version.json": json.dumps({"version": 7, "values": {}}),
            "flat.toml": "load_timeout = 5.0\nlazy_loading_unloading_strategy = 'AGGRESSIVE'\n",
            "flat.yaml": "load_timeout: 5.0\ncache_enabled: false\n",
            "broken.toml": "load_timeout = \n",
            "dot.env": env_file({"load_timeout": 6.0, "cache_enabled": False}).decode(),
            "consul.json": consul_export({"max_concurrent_loads": 12}, extra=2).decode(),
            "etcd.json": etcd_answer({"load_timeout": 9.5}).decode(),
            "bad_consul.json": '[{"key": "load_timeout", "value": "%%"}]',
            "bad.env": "LOAD_TIMEOUT=soon\n"}
    paths = {}
    for name, text in made.items():
        (tmp_path / name).write_text(text)
        paths[name.replace(".", "_").removesuffix("_json")] = str(tmp_path / name)
    return paths


def recorded_reads(modes: Modes) -> list[tuple[str, ...]]:
    """READS, and the whole change log replayed by `watch`, as text and as JSON."""
    revision = json.loads(modes.local("status", "--json").stdout)["revision"]
    return READS + [("watch", "--since", "0", "--count", str(revision)),
                    ("watch", "--since", "0", "--count", str(revision), "--json")]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_command_prints_the_same_in_both_modes(modes: Modes, scenario, tmp_path):
    files = documents(tmp_path)
    steps = [(code, *(arg.format(**files) for arg in args))
             for code, *args in SCENARIOS[scenario]]
    local = [modes.local(*args) for _, *args in steps]
    for (code, *args), outcome in zip(steps, local):
        assert outcome.exit_code == code, (args, outcome)
        if code == 1:  # after any progress steps, one line saying why
            assert outcome.stderr.splitlines()[-1].startswith("lazyconfig: "), (args, outcome)

    modes.empty_database()
    with modes.serving():
        for (_, *args), here in zip(steps, local):
            there = modes.remote(*args)
            assert there.without_times() == here.without_times(), args
        for args in recorded_reads(modes):
            there, here = modes.remote(*args), modes.local(*args)
            assert there.exit_code == 0, (args, there)
            assert there == here, args
