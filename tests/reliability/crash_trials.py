"""Crash trials: start a child on the crash database, SIGKILL it as planned, read from its
markers where it died, and inspect the database. The next child is started (and opens its
engine) while the last kill is being inspected; it only begins writing on the go-ahead.
"""
from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from . import crash_child
from .crash_database import CrashDatabase, wait_until

ACTIONS = {"update": "batch", "import": "import", "rollback": "rollback"}  # in the change log
PAUSE_SHARE = 0.3  # a child idles this share of one operation's time between operations
START_TIMEOUT = 60.0
EXIT_TIMEOUT = 10.0
# The child's phase when it died, from its last marker: "transaction" and "commit" are
# mid-transaction; "idle" (no write transaction open) and "committed" are between.
MID_TRANSACTION = ("transaction", "commit")
BETWEEN = ("idle", "committed")


@dataclass(frozen=True)
class KillPlan:
    """Kill the child `delay` seconds after its first `after` marker past the go-ahead."""

    delay: float
    after: str = "go"


def spread_delays(rng: random.Random, count: int, window: float) -> list[float]:
    """`count` delays covering [0, window): one in each equal slice."""
    return [(n + rng.random()) * window / count for n in range(count)]


def kill_plans(rng: random.Random, operation_seconds: float, timed: int,
               at_commit: int) -> list[KillPlan]:
    """`timed` kills spread over the first pause and one and a half operations with their
    pauses, so that they land before, during and after commits; and `at_commit` kills aimed
    at the milliseconds of a COMMIT, which random timing rarely hits. In random order."""
    pause = PAUSE_SHARE * operation_seconds
    window = pause + 1.5 * (operation_seconds + pause)
    plans = [KillPlan(delay) for delay in spread_delays(rng, timed, window)]
    plans += [KillPlan(rng.uniform(0, 0.004), "commit") for _ in range(at_commit)]
    rng.shuffle(plans)
    return plans


# -- what the markers say ------------------------------------------------------------------------
def read_markers(path: Path) -> list[list[str]]:
    return [line.split(" ") for line in path.read_text().splitlines()] if path.exists() else []


def child_error(markers: list[list[str]]) -> str | None:
    errors = [" ".join(words[1:]).replace(" | ", "\n") for words in markers if words[0] == "error"]
    return errors[0] if errors else None


def after_go(markers: list[list[str]]) -> list[list[str]] | None:
    """The markers after the go-ahead (earlier ones are the engine's start-up), or None."""
    kinds = [words[0] for words in markers]
    return markers[kinds.index("go") + 1:] if "go" in kinds else None


@dataclass(frozen=True)
class Progress:
    """How far a child got: its phase at death, the targets of the operations it saw
    committed, and the target of the one it died committing, if any."""

    phase: str
    committed: list[str]
    committing: str | None = None


def progress(markers: list[list[str]]) -> Progress:
    steps = after_go(markers)
    assert steps is not None, f"the child never got the go-ahead: {markers}"
    phase, committed, target = "idle", [], None
    for words in steps:
        kind = words[0]
        if kind == "op":
            phase, target = "idle", words[2]
        elif kind in ("begin", "commit", "committed"):
            phase = {"begin": "transaction"}.get(kind, kind)
            if kind == "committed":
                committed.append(target)
        elif kind == "done":
            phase = "idle"
        else:
            raise AssertionError(f"unexpected child marker {words}: {child_error(markers) or ''}")
    return Progress(phase, committed, target if phase == "commit" else None)


def expected_states(before: str, seen: Progress) -> set[str]:
    """The states the database may show: the last one committed, or, for a child that died
    inside COMMIT, also the one it was committing."""
    last = seen.committed[-1] if seen.committed else before
    return {last, seen.committing} if seen.committing else {last}


# -- the child process ---------------------------------------------------------------------------
class Child:
    """One child process: started at once, released with `go`, always killed and reaped."""

    def __init__(self, context, job: crash_child.Job, application: str):
        self.job, self.application = job, application
        self.markers = Path(job.markers)
        self.process = context.Process(target=crash_child.run, args=(job,), daemon=True)
        self.process.start()

    def wait_for(self, kind: str, timeout: float = START_TIMEOUT) -> None:
        def seen() -> bool:
            kinds = [words[0] for words in read_markers(self.markers)]
            if kind in ("ready", "go"):
                return kind in kinds
            return "go" in kinds and kind in kinds[kinds.index("go") + 1:]
        wait_until(lambda: self.process.exitcode is not None or seen(), timeout,
                   f"the child's {kind!r} marker")

    def go(self) -> None:
        Path(self.job.go_file).touch()

    def kill(self) -> None:
        """SIGKILL the child (if still running) and reap it; it must not have ended itself."""
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(EXIT_TIMEOUT)
        exitcode = self.process.exitcode
        assert exitcode == -signal.SIGKILL, (
            f"the child ended by itself (exit code {exitcode}): "
            f"{child_error(read_markers(self.markers)) or 'no error recorded'}")

    def close(self) -> None:
        """Kill and reap without checking (cleanup after a failure)."""
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(EXIT_TIMEOUT)
        if self.process.exitcode is not None:
            self.process.close()


@dataclass(frozen=True)
class Kill:
    """Where one kill landed and what the database showed afterwards."""

    plan: KillPlan
    phase: str
    committed: int  # operations that committed in this trial
    observed: str  # the state the database showed: "a" or "b"
    seconds: float  # from the go-ahead to the end of the inspection


def start_child(database: CrashDatabase, context, operation: str, number: int,
                tear_writes: bool) -> Child:
    application = f"lazyconfig_crash_{operation}_{number}"
    job = crash_child.Job(operation, database.env(application), database.states,
                          database.snapshots, PAUSE_SHARE * database.seconds[operation],
                          str(database.workdir / f"{operation}-{number:02d}.markers"),
                          tear_writes=tear_writes)
    return Child(context, job, application)


def run_trials(database: CrashDatabase, context, operation: str, plans: list[KillPlan],
               tear_writes: bool = False) -> list[Kill]:
    """One child per plan, each killed as planned, the database inspected after each.
    `tear_writes` breaks the children's engines, to show that this fails."""
    kills: list[Kill] = []
    following = start_child(database, context, operation, 0, tear_writes)
    current = None
    try:
        for number, plan in enumerate(plans):
            current, following = following, None
            current.wait_for("ready")
            started = time.monotonic()
            current.go()
            current.wait_for(plan.after)
            time.sleep(plan.delay)
            current.kill()
            database.wait_for_sessions_to_end(current.application)
            if number + 1 < len(plans):
                following = start_child(database, context, operation, number + 1, tear_writes)
            kills.append(check_kill(database, operation, current, plan, started))
            current.close()
            current = None
    finally:
        for child in (current, following):
            if child is not None:
                child.close()
    return kills


def check_kill(database: CrashDatabase, operation: str, child: Child, plan: KillPlan,
               started: float) -> Kill:
    """The database after `child`'s death shows the state its markers allow, and the log
    gained one whole batch per operation that committed."""
    seen = progress(read_markers(child.markers))
    before = database.current
    observed, batches = database.inspect()
    allowed = expected_states(before, seen)
    assert observed in allowed, (
        f"{operation} killed in phase {seen.phase} after committing {seen.committed}: the "
        f"database shows state {observed!r}, expected {sorted(allowed)}")
    made = len(seen.committed) + (observed != (seen.committed or [before])[-1])
    assert [b.action for b in batches] == [ACTIONS[operation]] * made, (
        f"{made} operations committed, but the log gained the batches {batches}")
    return Kill(plan, seen.phase, made, observed, time.monotonic() - started)
