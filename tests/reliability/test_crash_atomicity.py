"""Crash atomicity: a batch update, an import and a rollback of 1,000 keys, each SIGKILLed
at random moments, leave a database that a fresh engine reads as the whole old state or the
whole new state, whose change log replays to it, and (SQLite) whose file is sound.
"""
from __future__ import annotations

import random
from collections import Counter

import pytest

from .crash_database import OPERATIONS
from .crash_trials import BETWEEN, MID_TRANSACTION, kill_plans, run_trials

pytestmark = pytest.mark.slow
TIMED_KILLS = 20  # at random moments across whole operations
COMMIT_KILLS = 5  # aimed at the moment of COMMIT


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_killed_operation_leaves_the_old_or_the_new_state(crash_database, child_processes,
                                                             operation, record_property):
    plans = kill_plans(random.Random(f"crash-{operation}"), crash_database.seconds[operation],
                       TIMED_KILLS, COMMIT_KILLS)
    kills = run_trials(crash_database, child_processes, operation, plans)
    crash_database.replay_from_start()
    crash_database.check_snapshots()

    phases = Counter(kill.phase for kill in kills)
    mid = sum(phases[p] for p in MID_TRANSACTION)
    between = sum(phases[p] for p in BETWEEN)
    summary = (f"{operation} on {crash_database.backend}: {len(kills)} kills, {mid} "
               f"mid-transaction, {between} between transactions {dict(phases)}; "
               f"{sum(k.committed for k in kills)} operations committed; one operation "
               f"{crash_database.seconds[operation]:.2f}s; trials {sum(k.seconds for k in kills):.1f}s")
    print("\n" + summary)
    record_property(f"crash_{operation}_{crash_database.backend}", summary)
    assert len(kills) == TIMED_KILLS + COMMIT_KILLS
    assert mid >= 1 and between >= 1, f"the kills did not land both ways: {dict(phases)}"
