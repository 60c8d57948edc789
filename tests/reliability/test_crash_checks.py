"""The crash harness's checks can fail: each is shown a torn state, a broken log, a corrupt
file or a misbehaving child, and must say so. These run on a small SQLite database."""
from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import text

from . import crash_child
from .crash_checks import ChangeLogReplay, LoggedChange, sqlite_integrity_problems, which_state
from .crash_database import CrashDatabase, prepare
from .crash_trials import Child, KillPlan, Progress, expected_states, progress, run_trials

STATES = {"a": {"x": 1, "y": 2.5, "z": "on"}, "b": {"x": -1, "y": 0.5, "z": "off"}}


def change(revision, key, old, new, batch=None, action="batch") -> LoggedChange:
    return LoggedChange(revision, key, old, new, action, batch)


@pytest.fixture
def small_database(tmp_path) -> CrashDatabase:
    """28 keys (the built-ins and three of ours) in state "a", already inspected once."""
    database = prepare(f"sqlite:///{tmp_path / 'small.db'}", tmp_path, custom_keys=3)
    yield database
    database.close()


# -- which_state ----------------------------------------------------------------------------------
def test_a_whole_state_is_named():
    assert which_state(dict(STATES["b"]), STATES) == "b"


@pytest.mark.parametrize("values", [
    {"x": 1, "y": 2.5, "z": "off"},  # a mix of a and b
    {"x": 1, "y": 2.5, "z": "neither"},  # a value of no state
    {"x": 1, "y": 2.5},  # a key missing
    {"x": 1, "y": 2.5, "z": "on", "w": 0},  # a key too many
    {"x": 1.0, "y": 2.5, "z": "on"},  # the right number of the wrong type
])
def test_anything_but_a_whole_state_is_refused(values):
    with pytest.raises(AssertionError, match="torn state"):
        which_state(values, STATES)


# -- the change-log replay -----------------------------------------------------------------------
def test_a_sound_log_replays_to_the_values():
    replay = ChangeLogReplay({"x": 0})
    batches = replay.extend([change(3, "x", 0, 1, "b1"), change(4, "y", None, 2, "b1"),
                             change(7, "x", 1, 5)])
    assert [(b.batch_id, b.size) for b in batches] == [("b1", 2)]
    replay.agree_with({"x": 5, "y": 2}, revision=7)
    assert (replay.head, replay.row_count) == (7, 3)


@pytest.mark.parametrize("rows, message", [
    ([change(3, "x", 0, 1), change(3, "x", 1, 2)], "revisions must increase"),
    ([change(3, "x", 7, 1)], "the log so far gives 0"),
    ([change(3, "x", 0, 1, "b1"), change(4, "y", None, 1), change(5, "x", 1, 2, "b1")],
     "interleaved"),
    ([change(3, "x", 0, 1, "b1"), change(4, "x", 1, 2, "b1")], "changes a key twice"),
])
def test_a_broken_log_is_refused(rows, message):
    with pytest.raises(AssertionError, match=message):
        ChangeLogReplay({"x": 0}).extend(rows)


def test_values_the_log_does_not_explain_are_refused():
    replay = ChangeLogReplay({"x": 0})
    replay.extend([change(3, "x", 0, 1)])
    with pytest.raises(AssertionError, match="differ from the replayed change log"):
        replay.agree_with({"x": 2}, revision=3)
    with pytest.raises(AssertionError, match="differ from the replayed change log"):
        replay.agree_with({"x": 1, "never_logged": 0}, revision=3)
    with pytest.raises(AssertionError, match="the log ends at 3"):
        replay.agree_with({"x": 1}, revision=4)


# -- where a kill landed -------------------------------------------------------------------------
def markers(text_: str) -> list[list[str]]:
    return [line.split(" ") for line in text_.strip().splitlines()]


@pytest.mark.parametrize("lines, phase, allowed", [
    ("begin\ncommit\ncommitted\nready\ngo", "idle", {"a"}),  # start-up markers do not count
    ("ready\ngo\nop 1 b\nbegin", "transaction", {"a"}),
    ("ready\ngo\nop 1 b\nbegin\ncommit", "commit", {"a", "b"}),
    ("ready\ngo\nop 1 b\nbegin\ncommit\ncommitted", "committed", {"b"}),
    ("ready\ngo\nop 1 b\nbegin\ncommit\ncommitted\ndone 1 b\nop 2 a\nbegin", "transaction", {"b"}),
])
def test_the_markers_say_which_states_a_kill_may_leave(lines, phase, allowed):
    seen = progress(markers(lines))
    assert seen.phase == phase
    assert expected_states("a", seen) == allowed


def test_a_rolled_back_write_in_the_child_is_reported():
    with pytest.raises(AssertionError, match="unexpected child marker"):
        progress(markers("ready\ngo\nop 1 b\nbegin\nrolledback"))


def test_committed_operations_are_counted_in_order():
    seen = progress(markers("ready\ngo\nop 1 b\nbegin\ncommit\ncommitted\ndone 1 b\n"
                            "op 2 a\nbegin\ncommit\ncommitted"))
    assert seen == Progress("committed", ["b", "a"])


# -- the inspection of a real database -----------------------------------------------------------
def test_the_inspection_passes_a_sound_database(small_database):
    assert small_database.inspect() == ("a", [])
    small_database.replay_from_start()
    small_database.check_snapshots()


def test_the_snapshot_check_finds_a_torn_snapshot(small_database):
    with small_database.raw.begin() as conn:
        conn.execute(text("""UPDATE snapshots SET data = json_set(data, '$.crash_key_0000.runtime', 99)
                             WHERE id = (SELECT max(id) FROM snapshots)"""))
    with pytest.raises(AssertionError, match="torn state"):
        small_database.check_snapshots()


def test_the_inspection_finds_a_value_written_without_the_log(small_database):
    with small_database.raw.begin() as conn:
        conn.execute(text("UPDATE config_values SET value = '77' WHERE key = 'crash_key_0001'"))
    with pytest.raises(AssertionError, match="torn state"):
        small_database.inspect()


def test_the_inspection_finds_a_partly_logged_batch(small_database):
    engine = small_database.open_engine()
    try:
        engine.update(small_database.states["b"], user="test")
    finally:
        engine.close()
    with small_database.raw.begin() as conn:
        conn.execute(text("DELETE FROM changes WHERE id = (SELECT max(id) FROM changes)"))
    with pytest.raises(AssertionError, match="a partial batch"):
        small_database.inspect()


def test_the_full_replay_finds_a_rewritten_old_change(small_database):
    with small_database.raw.begin() as conn:
        conn.execute(text("UPDATE changes SET new_value = '5' WHERE id = "
                          "(SELECT min(id) FROM changes WHERE key = 'crash_key_0002')"))
    with pytest.raises(AssertionError, match="the log so far gives 5"):
        small_database.replay_from_start()


def test_the_integrity_check_finds_a_damaged_file(tmp_path):
    path = str(tmp_path / "damaged.db")
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.execute("CREATE INDEX t_v ON t (v)")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"value {n}",) for n in range(5000)])
        conn.commit()
    assert sqlite_integrity_problems(path) == []
    with open(path, "r+b") as damaged:
        damaged.seek(4096 * 5)
        damaged.write(b"\xa5" * 4096 * 3)
    assert sqlite_integrity_problems(path) != []


# -- a child that fails is not a crash that passed -------------------------------------------------
@pytest.mark.slow
def test_a_child_that_ends_by_itself_fails_the_trial(small_database, child_processes, tmp_path):
    job = crash_child.Job("explode", small_database.env(), small_database.states,
                          small_database.snapshots, 0.0, str(tmp_path / "explode.markers"))
    child = Child(child_processes, job, "lazyconfig_crash_explode")
    try:
        child.wait_for("ready")
        child.go()
        child.process.join(30)
        with pytest.raises(AssertionError, match="unknown operation 'explode'"):
            child.kill()
    finally:
        child.close()


@pytest.mark.slow
@pytest.mark.parametrize("operation", ["update", "import", "rollback"])
def test_a_write_committed_in_two_halves_is_caught(small_database, child_processes, operation):
    # Killed between the halves, the engine leaves a torn state; the trial must fail on it.
    with pytest.raises(AssertionError, match="torn state"):
        run_trials(small_database, child_processes, operation, [KillPlan(0.0, "committed")],
                   tear_writes=True)
