"""The host head: one number per host, shared by its processes through a file."""
from __future__ import annotations

import mmap
import os
import multiprocessing
import struct

from lazyconfig.coherence.host_head import UNKNOWN, HostHead

URL = "sqlite:////srv/lazyconfig.db"
_RAW = struct.Struct("<QQ")  # the file's sequence number and head, at byte 16


def test_processes_that_share_the_run_dir_share_the_id_and_the_head(tmp_path):
    first, second = HostHead(URL, tmp_path), HostHead(URL, tmp_path)
    try:
        assert first.id == second.id and len(first.id) == 32
        assert first.read() == 0
        first.advance(7)
        assert second.read() == 7
        second.advance(3)  # only ever grows
        assert first.read() == 7
    finally:
        first.close()
        second.close()


def test_another_run_dir_or_database_is_another_host(tmp_path):
    heads = [HostHead(URL, tmp_path / "a"), HostHead(URL, tmp_path / "b"),
             HostHead("sqlite:////srv/other.db", tmp_path / "a")]
    try:
        assert len({head.id for head in heads}) == 3
        heads[0].advance(5)
        assert [head.read() for head in heads] == [5, 0, 0]
    finally:
        for head in heads:
            head.close()


def test_an_unusable_run_dir_gives_a_host_of_its_own(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    head = HostHead(URL, blocker / "run")
    try:
        head.advance(4)
        assert head.read() == 4 and len(head.id) == 32
    finally:
        head.close()


def _advance_to(run_dir, last: int) -> None:
    head = HostHead(URL, run_dir)
    for revision in range(1, last + 1):
        head.advance(revision)
    head.close()


def test_a_reader_in_another_process_never_sees_the_head_go_back(tmp_path):
    """A writer process advances the head while this one reads it: every read is a whole
    number that was written, and never less than one read before. The file's raw sequence
    number and head, read straight from its bytes, never go back either: each store is whole
    (struct.pack_into cleared the bytes before writing them, and a reader once saw 0 there)."""
    head = HostHead(URL, tmp_path)
    with open(head.path, "rb") as file:
        raw = mmap.mmap(file.fileno(), 0, prot=mmap.PROT_READ)
    last = 20_000
    writer = multiprocessing.get_context("fork").Process(target=_advance_to, args=(tmp_path, last))
    writer.start()
    seen, stored = [head.read()], []
    while writer.is_alive():
        seen.append(head.read())
        stored.append(_RAW.unpack_from(raw, 16))
    seen.append(head.read())
    writer.join()
    head.close()
    raw.close()
    assert writer.exitcode == 0
    # UNKNOWN: the writer was mid-update for all of a read's attempts (the reader would ask
    # the database); every number actually read is whole and in order.
    known = [value for value in seen if value != UNKNOWN]
    assert known[-1] == last
    assert all(0 <= a <= b <= last for a, b in zip(known, known[1:]))
    assert len(stored) > 1000
    for field in (0, 1):  # the sequence number, then the head
        assert all(a[field] <= b[field] for a, b in zip(stored, stored[1:]))


def test_a_writer_killed_mid_update_leaves_readers_asking_the_database(tmp_path):
    """A SIGKILL between the two halves of an update leaves the sequence number odd: readers
    must not spin on it, nor trust the head, until the next writer puts it right."""
    head = HostHead(URL, tmp_path)
    try:
        head.advance(5)
        with open(head.path, "r+b") as file:  # odd: an update begun, never ended
            os.pwrite(file.fileno(), (7).to_bytes(8, "little"), 16)
        assert head.read() == UNKNOWN  # more than any revision: the reader asks the database
        head.advance(6)
        assert head.read() == 6
        head.advance(9)
        assert head.read() == 9
    finally:
        head.close()
