"""The newest revision acknowledged by any process on this host, in shared memory.

Every engine that writes to a database raises this number after its commit and before it
answers, so a reader on the same host learns "nothing newer was acknowledged here" from one
memory read, without a query and without releasing the GIL. Processes find each other's
number through a small file named after the database URL in the run directory; the file
also holds a random id that names this group of processes (a "host") in the database's
host table (see read_lease.py).

Processes that do not share the file (another machine, another run directory, or a URL
spelt differently) count as different hosts, which is safe: a reader then asks the
database. Two databases that happen to share a file only make each other's readers ask the
database more often, since the number only ever grows to the largest revision written.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import mmap
import os
import tempfile
from pathlib import Path
from typing import Iterator


class _Layout(ctypes.LittleEndianStructure):
    """The file: an id, then a sequence number and the head; the sequence number is odd while
    a writer is changing the head, so a reader never takes a half-written number for a whole
    one. Then two monotonic times (CLOCK_MONOTONIC is the machine's, shared by its processes)
    that writers read and change only under the file lock (read_lease.py).

    ctypes fields, not struct.pack_into: pack_into clears its bytes before it writes them, so
    a reader in another process could see a sequence number of 0 (even) around a head of 0.
    A ctypes field is copied whole, never cleared first (tests/unit/test_host_head.py reads
    the raw fields from another process while they change)."""
    _fields_ = [("id", ctypes.c_ubyte * 16), ("seq", ctypes.c_uint64), ("head", ctypes.c_uint64),
                ("writer_until", ctypes.c_double), ("fence_until", ctypes.c_double)]


_SIZE = ctypes.sizeof(_Layout)
_ID_SIZE = _Layout.id.size
READ_ATTEMPTS = 100
UNKNOWN = 2**64 - 1


def _boot_id() -> str:
    # In the file's name: the monotonic times it holds mean nothing after a reboot.
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def default_run_dir() -> Path:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


class HostHead:
    def __init__(self, database_url: str, run_dir: Path | None = None):
        name = hashlib.sha256(f"{_boot_id()} {database_url}".encode()).hexdigest()[:24]
        self.path = Path(run_dir or default_run_dir()) / f"lazyconfig-{name}.head"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            # Not ours to share (another user's file, a read-only directory): this process
            # becomes a host of its own, which only costs its readers a query.
            self._fd = None
            self._map = mmap.mmap(-1, _SIZE)
            self._map[:_ID_SIZE] = os.urandom(_ID_SIZE)
        else:
            with self.locked():
                size = os.fstat(self._fd).st_size
                if size < _SIZE:
                    os.ftruncate(self._fd, _SIZE)
                if size < _ID_SIZE:
                    os.pwrite(self._fd, os.urandom(_ID_SIZE), 0)
            self._map = mmap.mmap(self._fd, _SIZE)
        self._file = _Layout.from_buffer(self._map)
        self.id = bytes(self._file.id).hex()

    def read(self) -> int:
        """The newest revision acknowledged on this host; UNKNOWN (more than any revision,
        so the reader asks the database) while a writer is mid-update, or was killed there."""
        file = self._file
        for _ in range(READ_ATTEMPTS):
            seq = file.seq
            head = file.head
            if seq % 2 == 0 and file.seq == seq:
                return head
        return UNKNOWN

    def advance(self, revision: int) -> float:
        """Raise the number to `revision`, if that is newer (before answering a write).
        Returns the fence: the monotonic time before which no write on this host may be
        answered."""
        file = self._file
        with self.locked():
            seq = file.seq
            seq += seq % 2  # odd: a writer was killed mid-update (its head is harmless)
            if revision > file.head:
                file.seq = seq + 1
                file.head = revision
                file.seq = seq + 2
            return file.fence_until

    def close(self) -> None:  # twice is harmless, like the engine's close()
        self._file = None  # the map refuses to close while a view of it is alive
        self._map.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """flock on the shared file: writers on this host take turns (a private map needs
        no lock). The writer registration below is read and changed only under it."""
        if self._fd is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def writer_until(self) -> float:
        """Until when (monotonic) this host is registered as a writer."""
        return self._file.writer_until

    def registered(self, writer_until: float, fence_until: float) -> None:
        """Record a writer registration and its fence; both only ever move later."""
        self._file.writer_until = max(writer_until, self._file.writer_until)
        self._file.fence_until = max(fence_until, self._file.fence_until)

