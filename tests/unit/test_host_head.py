"""The host head: one number per host, shared by its processes through a file."""
from __future__ import annotations

import multiprocessing

from lazyconfig.host_head import HostHead

URL = "sqlite:////srv/lazyconfig.db"


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
    number that was written, and never less than one read before."""
    head = HostHead(URL, tmp_path)
    last = 20_000
    writer = multiprocessing.get_context("fork").Process(target=_advance_to, args=(tmp_path, last))
    writer.start()
    seen = [head.read()]
    while writer.is_alive() or seen[-1] < last:
        seen.append(head.read())
        if not writer.is_alive() and seen[-1] < last:
            break
    writer.join()
    head.close()
    assert writer.exitcode == 0
    assert seen[-1] == last
    assert all(0 <= a <= b <= last for a, b in zip(seen, seen[1:]))
