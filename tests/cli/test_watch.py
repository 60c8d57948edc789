"""`watch` in real processes: it prints a change another process makes, on the database and
through a server, and a server restart in the middle loses no change and repeats none."""
from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.cli.modes import USER, Modes

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
KEY = "max_reloads_per_cycle"
WAIT_SECONDS = 30


class Watcher:
    """`lazyconfig … watch --json` in a process of its own, its lines read as they come."""

    def __init__(self, args: list[str], env: dict):
        self.process = subprocess.Popen([str(BIN / "lazyconfig"), *args, "watch", "--json",
                                         "--since", "0"], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def until(self, revision: int) -> list[dict]:
        """Every change printed until `revision`'s (fails after WAIT_SECONDS)."""
        seen, deadline = [], time.monotonic() + WAIT_SECONDS
        while not seen or seen[-1]["revision"] < revision:
            try:
                seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                status, stderr = self.stop()
                pytest.fail(f"no revision {revision} within {WAIT_SECONDS} s; printed {seen}; "
                            f"exit status {status}, stderr: {stderr}")
        return seen

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a person ends it: exit status 0."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=WAIT_SECONDS)  # a loaded machine: 10 s was once too few
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=10)  # to the end of its output
        with self.process.stdout, self.process.stderr:
            return self.process.returncode, self.process.stderr.read()


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "lazyconfig"), *args], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def test_watch_on_the_database_prints_what_another_process_sets(modes: Modes):
    env = modes.process_env(remote=False)
    run(["--user", USER, "set", KEY, "3"], env)  # creates and migrates the database
    watcher = Watcher(["--user", USER], env)
    run(["--user", "someone-else", "set", KEY, "4"], env)
    seen = watcher.until(2)
    assert [(c["revision"], c["new_value"], c["user"]) for c in seen] == \
        [(1, 3, USER), (2, 4, "someone-else")]
    assert watcher.stop() == (0, "")


def test_watch_through_a_server_survives_its_restart_and_loses_no_change(modes: Modes):
    with modes.serving(workers=2) as server:
        remote, local = modes.process_env(remote=True), modes.process_env(remote=False)
        watcher = Watcher([], remote)
        run(["set", KEY, "1"], remote)
        assert [c["revision"] for c in watcher.until(1)] == [1]

        server.stop()  # streams end; the watcher retries until the server is back
        for value in (2, 3):  # written on the database while no server runs
            run(["--user", USER, "set", KEY, str(value)], local)
        server.start()
        for value in (4, 5):
            run(["set", KEY, str(value)], remote)
        seen = watcher.until(5)
        time.sleep(1)  # anything printed twice would come now
        status, stderr = watcher.stop()
    assert [(c["revision"], c["new_value"]) for c in seen] == [(r, r) for r in range(2, 6)]
    assert watcher.lines.empty(), list(watcher.lines.queue)
    assert (status, stderr) == (0, "")
