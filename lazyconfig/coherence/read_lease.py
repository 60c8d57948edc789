"""Read leases: when a read may skip asking the database whether anything newer was written.

An API read must see every write acknowledged before it, on any worker or instance. Asking
the change log's head before each read proves that, at the price of a round trip per read
(most of a read's latency under load). A read lease proves it from memory instead:

- On this host, every writer raises the shared head (host_head.py) before it answers, so
  `host head <= our revision` means no write acknowledged here is missing.
- Other hosts are known by the `hosts` table. A background check, every CHECK_INTERVAL,
  reads in one statement the change log's head, the database's clock and when another host
  that writes was last seen. If none was seen within EXPIRY, the check catches up to that
  head and the lease holds for LEASE after the check began.
- A host registers as a writer, in a transaction of its own, before its first write. If
  other hosts are alive, its writes wait until FENCE (> LEASE) after that commit before
  they answer, so every lease taken before the registration has run out (the fence lives in
  the host file, for every process of the host). A write whose transaction took longer than
  MARGIN waits FENCE too, as another host may have counted this one dead meanwhile.
- A host keeps its row alive (BEAT) while it serves or writes; a reader's lease never
  outlives its own row (EXPIRY - MARGIN after its last beat), so a new writer sees it.

Enlisting takes the database-wide write lock, so a reader that registers and a writer that
registers cannot miss each other. Times on this side are monotonic; times in the table are
the database's own clock, the one clock every host shares, which must not jump forward by
more than MARGIN.

LEASE is 2 s, not less: with 128 busy threads in a worker, the check thread can wait for the
GIL long enough that a shorter lease lapsed under load and reads fell back to the query for
seconds at a time (bench/HISTORY.md); the fallback costs more than it saves.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .host_head import HostHead

log = logging.getLogger(__name__)

CHECK_INTERVAL = 0.05  # seconds between two checks by a serving process
LEASE = 2.0  # how long a check lets reads skip the head query
FENCE = 2.5  # how long a new writer waits after its commit before it answers (> LEASE)
BEAT = 2.0  # how often a host refreshes its row
EXPIRY = 30.0  # a row not refreshed for this long is a host that is gone
MARGIN = 5.0  # slack for clock rates and slow transactions (BEAT + MARGIN < EXPIRY)
FORGET = 86400.0  # rows of hosts gone this long are deleted


@dataclass(frozen=True)
class LeaseFacts:
    """What one check read, in one statement."""
    head: int  # the change log's newest revision
    now: float  # the database's clock
    other_writer_seen: float | None  # when another writing host was last seen


class ReadLease:
    def __init__(self, host: HostHead, facts: Callable[[], LeaseFacts],
                 catch_up_to: Callable[[int], object], enlist: Callable[[bool], tuple]):
        """`facts()` runs the check's statement; `catch_up_to(head)` refreshes the engine
        to at least `head`; `enlist(writes)` marks this host alive in a write transaction
        of its own and returns (database clock, when this host was last seen as a writer,
        when another host was last seen; None for never)."""
        self._host = host
        self._facts, self._catch_up_to, self._enlist = facts, catch_up_to, enlist
        self._until = 0.0  # reads skip the head query before this monotonic time
        self._row_alive_until = 0.0  # our row certainly counts as alive before this
        self._writer_until = 0.0  # our row certainly says "writes" before this
        self._beat = float("-inf")  # when our last enlisting began
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._failing = False

    # -- readers ---------------------------------------------------------------------------
    def holds(self) -> bool:
        """Whether a read may skip the head query now (given the host head is not newer)."""
        if self._thread is None:
            self._start()
        return time.monotonic() < self._until

    def check(self) -> None:
        """One check, renewing the lease if it can. The background thread calls this."""
        started = time.monotonic()
        try:
            if started - self._beat >= BEAT:
                self._enlist(False)
                self._alive(started)
            facts = self._facts()
            others = (facts.other_writer_seen is not None
                      and facts.other_writer_seen > facts.now - EXPIRY)
            if not others:
                self._catch_up_to(facts.head)
        except Exception as exc:  # the database is unreachable: the lease just runs out
            if not self._failing:
                log.warning("read lease check failed (%s); reads ask the database", exc)
            self._failing = True
            return
        self._failing = False
        if not others:
            self._until = min(started + LEASE, self._row_alive_until)

    # -- writers ---------------------------------------------------------------------------
    def enlist_writer(self) -> None:
        """Before a write transaction: make sure this host is registered as a writer, and
        set the host's fence if other hosts may hold leases from before it was one."""
        started = time.monotonic()
        if started < self._writer_until:
            return
        host = self._host
        with host.locked():
            if started < host.writer_until():  # another process here registered lately
                self._writer_until = host.writer_until()
                return
            now, seen_writing, newest_other = self._enlist(True)
            self._alive(started)
            was_writer = seen_writing is not None and seen_writing > now - (EXPIRY - MARGIN)
            fence = not was_writer and newest_other is not None and newest_other > now - EXPIRY
            self._writer_until = started + BEAT
            host.registered(self._writer_until, time.monotonic() + FENCE if fence else 0.0)

    def fence(self, host_fence: float, started: float) -> float:
        """After a write transaction that began at `started` committed: the monotonic time
        before which it must not be answered. A transaction slower than MARGIN may have
        outlived this host's row in another host's eyes, and waits out their leases too."""
        now = time.monotonic()
        return max(host_fence, now + FENCE if now - started > MARGIN else 0.0)

    # -- lifecycle -------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._until = 0.0
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="lazyconfig-lease",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check()
            self._stop.wait(CHECK_INTERVAL)

    def _alive(self, started: float) -> None:
        self._beat = max(self._beat, started)
        self._row_alive_until = self._beat + EXPIRY - MARGIN
