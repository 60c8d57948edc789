"""Scheduled backups are taken once per interval, whatever the number of processes: the
lease decides between claimants, and a real gunicorn with two workers (each running the
schedule) writes one backup per 2-second interval over ~7 s."""
from __future__ import annotations

import math
import threading
import time

import pytest

from lazyconfig.db.repositories.backup_schedule import claim_slot
from lazyconfig.service import backup_file
from tests.e2e.conftest import SECRET, server_database
from tests.support.servers import GunicornServer, server_env

INTERVAL = 2.0
RUN_SECONDS = 7.0


def test_one_claimant_wins_each_slot(engine):
    database = engine.database
    results, barrier = [], threading.Barrier(4)

    def claim(holder):
        barrier.wait()
        results.append(claim_slot(database, "test", 3600.0, holder))
    threads = [threading.Thread(target=claim, args=(f"h{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [slot for slot in results if slot is not None]
    assert len(won) == 1, results
    assert claim_slot(database, "test", 3600.0, "late") is None  # same hour: taken
    assert claim_slot(database, "test", 1e-6, "next") is not None  # a later slot: free


@pytest.mark.slow
def test_two_workers_take_one_scheduled_backup_per_interval(tmp_path_factory, postgres_url):
    workdir, database_url = server_database(tmp_path_factory, postgres_url, "schedule")
    folder = workdir / "backups"
    env = server_env(database_url, workdir / "instance", SECRET, "INFO",
                     LAZYCONFIG_BACKUP_DIR=str(folder), LAZYCONFIG_BACKUP_INTERVAL=str(INTERVAL),
                     LAZYCONFIG_BACKUP_KEEP="100")
    server = GunicornServer(env, workdir / "gunicorn.log", workers=2, health_path="/healthz")
    with server:
        began = time.time()
        time.sleep(RUN_SECONDS)
        ended = time.time()
    files = sorted(folder.glob("*.lcbackup"))
    made = [backup_file.read_manifest(path) for path in files]
    # each slot [k·2 s, (k+1)·2 s) touched while both workers ran gives at most one backup
    slots = math.floor(ended / INTERVAL) - math.floor(began / INTERVAL) + 1
    assert slots - 1 <= len(files) <= slots, (len(files), slots, server.log()[-2000:])
    assert all(m["created_by"] == "scheduled" for m in made)
    assert "Traceback" not in server.log()
