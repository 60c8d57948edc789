"""Freshness: how a read proves it sees every acknowledged write, and how a write makes sure
the reads that follow it, on any host, see it (read_lease.py explains the protocol).

`HostFreshness` is the real one: a read lease, this host's shared head, and a coalesced
change-log head query. `LocalFreshness` serves a process that is alone with its storage (the
in-memory fakes of the service tests): its own memory is always current.
"""
from __future__ import annotations

import time

from ..db.head import ChangeLogHead
from ..db.protocols import Storage
from ..db.unit_of_work import storage_error
from .coalesced import CoalescedCall
from .host_head import HostHead
from .read_lease import FORGET, LeaseFacts, ReadLease
from .replica import Replica


class HostFreshness:
    def __init__(self, replica: Replica, storage: Storage, probe: ChangeLogHead,
                 host: HostHead):
        self._replica, self._storage = replica, storage
        self.probe = probe
        self.head = CoalescedCall(probe)  # concurrent requests share one query
        self.host = host
        self.lease = ReadLease(host, self._facts, replica.catch_up_to, self._enlist)
        self.fence_until = 0.0  # no write is answered before this monotonic time

    def catch_up(self) -> int:
        """A revision at least as new as every write acknowledged before the call, by any
        process on any host: two memory reads under a read lease, else ask_database()."""
        revision = self._replica.state.revision
        if self.lease.holds() and self.host.read() <= revision:
            return revision
        return self.ask_database()

    def ask_database(self) -> int:
        """Like refresh(), but cheap when nothing changed: one indexed query for the change
        log's head, without the replica's lock."""
        try:
            head = self.head()
        except Exception as exc:
            raise storage_error(exc, write=False) or exc
        # Writers commit revisions in order, so a head we already hold means we hold it all.
        replica = self._replica
        return replica.state.revision if head <= replica.state.revision else replica.refresh()

    def before_write(self) -> None:
        self.lease.enlist_writer()

    def committed(self, revision: int, started: float) -> None:
        """After this process committed `revision`: this host's readers learn of it before
        any answer, and other hosts' leases from before it run out before it is answered."""
        self.fence_until = max(self.fence_until,
                               self.lease.fence(self.host.advance(revision), started))

    def wait_for_fence(self) -> None:
        wait = self.fence_until - time.monotonic()
        if wait > 0:  # other hosts may still read under leases that predate this write
            time.sleep(wait)

    def close(self) -> None:
        self.lease.stop()
        self.host.close()
        self.probe.dispose()

    def _facts(self) -> LeaseFacts:
        return LeaseFacts(*self.probe.lease_facts(self.host.id))

    def _enlist(self, writes: bool) -> tuple:
        with self._storage.writing() as uow:
            now, seen_writing = uow.hosts.enlist(self.host.id, writes)
            uow.hosts.forget(seen_before=now - FORGET)
            newest_other = uow.hosts.newest_other(self.host.id)
            uow.commit()
        return now, seen_writing, newest_other


class LocalFreshness:
    """For a process alone with its storage: nothing to ask, nobody to fence."""

    def __init__(self, replica: Replica):
        self._replica = replica

    def catch_up(self) -> int:
        return self._replica.state.revision

    def ask_database(self) -> int:
        return self._replica.refresh()

    def before_write(self) -> None:
        pass

    def committed(self, revision: int, started: float) -> None:
        pass

    def wait_for_fence(self) -> None:
        pass

    def close(self) -> None:
        pass
