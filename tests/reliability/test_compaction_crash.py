"""A compaction killed (SIGKILL) at random moments leaves the change log and its checkpoint
whole: every change after the recorded compaction point is there as written, every change
up to it is folded into the checkpoint, and a fresh process reads the same state."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select

from lazyconfig import bootstrap
from lazyconfig.db.models import ChangeRow, CheckpointRow, CompactionRow
from lazyconfig.settings import Settings

pytestmark = pytest.mark.slow
KEYS = ["lazy_loading_unloading_check_interval", "max_concurrent_loads", "load_timeout"]
KILLS = 8
COMPACT = """
import sys
from lazyconfig import bootstrap
from lazyconfig.service.compaction import LogRetention
from lazyconfig.settings import Settings
engine = bootstrap(Settings.from_env(), watch=False)
print("ready", flush=True)
engine.change_log.compact(user="crash", retention=LogRetention(max_entries=int(sys.argv[1])),
                          batch=5)
"""


def _rows(url):
    db = create_engine(url)
    try:
        with db.connect() as conn:
            changes = {r.id: (r.key, r.new_value, r.actor) for r in conn.execute(
                select(ChangeRow.__table__))}
            checkpoint = {r.key: (r.revision, r.value) for r in conn.execute(
                select(CheckpointRow.__table__))}
            through = conn.scalar(select(CompactionRow.through).order_by(
                CompactionRow.id.desc()).limit(1)) or 0
    finally:
        db.dispose()
    return changes, checkpoint, through


def test_a_killed_compaction_leaves_the_log_and_checkpoint_whole(engine_env):
    env = {**os.environ, **engine_env}
    engine = bootstrap(Settings.from_env(engine_env), env=engine_env, watch=False)
    try:
        for n in range(1500):
            engine.set(KEYS[n % 3], 10 + n % 40, user=f"u{n % 7}", strict=True)
        entries = engine.entries()
    finally:
        engine.close()
    url = engine_env["LAZYCONFIG_DATABASE_URL"]
    written, _, _ = _rows(url)
    rng, landed, moved = random.Random("compaction-crash"), 0, set()
    for trial in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", COMPACT, "10"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True)
        assert child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.05, 0.4))
        landed += child.poll() is None
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        changes, checkpoint, through = _rows(url)
        assert changes == {r: row for r, row in written.items() if r > through}
        folded = {}
        for revision in sorted(r for r in written if r <= through):
            folded[written[revision][0]] = (revision, written[revision][1])
        assert checkpoint == folded
        moved.add(through)
    assert landed >= KILLS // 2, "most kills should land while compacting"
    assert len(moved) >= KILLS // 2, f"compaction should move between kills: {moved}"
    fresh = bootstrap(Settings.from_env(engine_env), env=engine_env, watch=False)
    try:
        assert fresh.entries() == entries
    finally:
        fresh.close()
