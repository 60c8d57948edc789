"""Operators change values from a shell: parsed by the key's type, attributed, refused in
one clear line when invalid, and visible in list, history, export and import."""
from __future__ import annotations

import json

import yaml

INTERVAL = "lazy_loading_unloading_check_interval"


def test_set_parses_by_type_and_attributes_the_change(cli, make_engine):
    done = cli("set", INTERVAL, "30", "-m", "faster checks", user="alice")
    assert done.exit_code == 0, done.stderr
    assert "30.0" in done.stdout
    assert cli("get", INTERVAL).stdout.strip() == "30.0"
    assert cli("set", "lazy_loading_unloading_enabled", "off").exit_code == 0
    entry = make_engine().get_entry(INTERVAL)
    assert (entry.value, entry.source, entry.updated_by) == (30.0, "runtime", "alice")
    assert make_engine().get("lazy_loading_unloading_enabled") is False


def test_errors_are_one_line_and_change_nothing(cli, make_engine):
    for args, code, words in [((INTERVAL, "abc"), 1, "cannot read 'abc' as float"),
                              ((INTERVAL, "-5"), 1, "must be greater than 0"),
                              (("no_such_key", "1"), 1, "unknown configuration key")]:
        done = cli("set", *args)
        assert done.exit_code == code
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("lazyconfig: ")
        assert words in done.stderr
    assert make_engine().get_entry(INTERVAL).source == "default"


def test_validate_applies_nothing(cli, make_engine):
    assert cli("validate", "load_timeout", "12.5").exit_code == 0
    refused = cli("validate", "lazy_loading_unloading_strategy", "FAST")
    assert refused.exit_code == 1 and "lazy_loading_unloading_strategy" in refused.stderr
    assert make_engine().revision == 0


def test_list_is_a_table_for_people_and_json_for_machines(cli):
    cli("set", "max_concurrent_loads", "8", user="bob")
    table = cli("list").stdout.splitlines()
    assert table[0].split() == ["KEY", "VALUE", "SOURCE", "VERSION", "UPDATED", "BY"]
    assert len(table) == 26
    row = next(line for line in table if line.startswith("max_concurrent_loads "))
    assert row.split()[1:] == ["8", "runtime", "1", "bob"]
    rows = json.loads(cli("list", "--json").stdout)
    assert {r["key"]: r["value"] for r in rows}["max_concurrent_loads"] == 8


def test_history_shows_old_and_new_values_with_user_and_description(cli):
    cli("set", INTERVAL, "30", "-m", "first", user="alice")
    cli("set", INTERVAL, "45", "-m", "second", user="bob")
    data = json.loads(cli("history", INTERVAL, "--json").stdout)
    assert data["total"] == 2
    assert [(h["old_value"], h["new_value"], h["user"], h["description"])
            for h in data["history"]] == [(30.0, 45.0, "bob", "second"),
                                          (60.0, 30.0, "alice", "first")]
    table = cli("history", INTERVAL).stdout
    assert "bob" in table and "second" in table


def test_export_then_import_round_trips_with_progress_and_dry_run(cli, make_engine, tmp_path):
    cli("set", "cache_size_limit", "2048")
    exported = tmp_path / "config.yaml"
    assert cli("export", "--format", "yaml", "-o", exported).exit_code == 0
    document = yaml.safe_load(exported.read_text())
    assert document["values"]["cache_size_limit"] == 2048
    document["values"]["cache_size_limit"] = 4096
    document["values"]["max_reloads_per_cycle"] = 9
    exported.write_text(yaml.safe_dump(document))

    dry = cli("import", exported, "--dry-run")
    assert dry.exit_code == 0 and "[2/2]" in dry.stderr
    assert "cache_size_limit" in dry.stdout and "max_reloads_per_cycle" in dry.stdout
    assert make_engine().get("cache_size_limit") == 2048

    applied = cli("import", exported, user="carol")
    assert applied.exit_code == 0, applied.stderr
    assert "[3/3] applying 2 change(s)" in applied.stderr
    engine = make_engine()
    assert (engine.get("cache_size_limit"), engine.get("max_reloads_per_cycle")) == (4096, 9)
    assert engine.get_entry("max_reloads_per_cycle").updated_by == "carol"
    assert json.loads(cli("export").stdout)["values"]["cache_size_limit"] == 4096


def test_import_of_an_invalid_document_changes_nothing(cli, make_engine, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "values": {"load_timeout": -1, "cache_enabled": False}}))
    done = cli("import", bad)
    assert done.exit_code == 1 and "load_timeout" in done.stderr
    assert make_engine().get("cache_enabled") is True


def test_reset_removes_the_named_overrides_only(cli, make_engine):
    cli("set", "load_timeout", "5")
    cli("set", "max_concurrent_loads", "2")
    done = cli("reset", "load_timeout")
    assert done.exit_code == 0 and "reset 1 key(s): load_timeout" in done.stdout
    engine = make_engine()
    assert (engine.get("load_timeout"), engine.get("max_concurrent_loads")) == (30.0, 2)


def test_a_value_with_control_characters_prints_escaped(cli):
    cli("rules", "set", "banner", "--type", "string", "--default", "")
    assert cli("set", "banner", "ok\x1b[2Jfake\nline").exit_code == 0
    shown = cli("get", "banner").stdout
    assert shown == "ok\\u001b[2Jfake\\nline\n"
    listed = cli("list").stdout
    assert "\x1b" not in listed and "ok\\u001b[2Jfake\\nline" in listed
