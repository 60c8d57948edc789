"""The backup file: a magic line, the tables as gzip'd JSON lines, the manifest, and a
fixed-size footer sealing the manifest (docs/backups.md, "The file").

    LAZYCONFIG-BACKUP 1\\n
    gzip( {"table": …, "columns": […]}\\n [row]\\n … for each table )
    {manifest JSON}\\n
    LAZYCONFIG-MANIFEST <manifest length, 10 digits> <SHA-256 of the manifest, hex>\\n

The manifest's `content_sha256` covers every byte before it (magic line and gzip stream),
and the footer covers the manifest: every byte of the file is under a checksum, and both
are checked before anything is decompressed. The manifest sits uncompressed at the end so
that a listing reads it with one seek, whatever the size of the change log.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import json.scanner
import os
import queue
import threading
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from ..errors import InvalidBackup

MAGIC = b"LAZYCONFIG-BACKUP 1\n"
FORMAT_VERSION = 1
FOOTER_TAG = b"LAZYCONFIG-MANIFEST "
FOOTER_SIZE = len(FOOTER_TAG) + 10 + 1 + 64 + 1
MANIFEST_MAX = 1 << 20  # a manifest names tables and counts: far below this
CHUNK = 1 << 20
LINES_PER_WRITE = 2_000  # lines joined before one call into the compressor
QUEUED_CHUNKS = 8  # batches of lines waiting for the writer thread, at most
COMPRESS_LEVEL = 1  # the change log compresses ~10× even at the fastest level
_SCAN = json.scanner.make_scanner(json.JSONDecoder())  # json.loads without its wrapper


class _Hashing(io.RawIOBase):
    """A write-only file that hashes and counts what passes through it."""

    def __init__(self, target: BinaryIO):
        self.target, self.sha, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.target.write(data)


def write(path: Path, tables: Iterable[tuple[dict, Iterator[str]]],
          manifest: dict[str, Any]) -> dict[str, Any]:
    """Write a backup of `tables` (each a header and its canonical row lines) to `path`,
    atomically (a partial file never carries the name). Returns the manifest, completed
    with row counts, the state hash and the content checksum."""
    partial = path.with_name(path.name + ".partial")
    state = hashlib.sha256()
    try:
        with open(partial, "wb") as raw:
            content = _Hashing(raw)
            content.write(MAGIC)
            with gzip.GzipFile(fileobj=content, mode="wb", compresslevel=COMPRESS_LEVEL,
                               mtime=0) as stream:
                counts = _write_tables(_Sink(state, stream), tables)
            manifest = {**manifest, "tables": counts, "state_sha256": state.hexdigest(),
                        "content_sha256": content.sha.hexdigest(),
                        "content_bytes": content.size}
            sealed = json.dumps(manifest, sort_keys=True).encode() + b"\n"
            raw.write(sealed + footer(sealed))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def state_sha256(tables: Iterable[tuple[dict, Iterator[str]]]) -> str:
    """The state hash `write` would record for `tables`, writing nothing."""
    state = hashlib.sha256()
    _write_tables(_Sink(state), tables)
    return state.hexdigest()


def _write_tables(sink: "_Sink", tables: Iterable[tuple[dict, Iterator[str]]]) -> dict:
    """Each table's header and row lines into `sink`; returns the rows per table."""
    counts = {}
    try:
        for head, lines in tables:
            sink.write((json.dumps(head, sort_keys=True, separators=(",", ":")) + "\n").encode())
            counts[head["table"]] = count = 0
            for batch in _batches(lines):
                sink.write(("\n".join(batch) + "\n").encode())
                counts[head["table"]] = count = count + len(batch)
    finally:
        sink.close()
    return counts


def _batches(lines: Iterator[str]) -> Iterator[list[str]]:
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == LINES_PER_WRITE:
            yield batch
            batch = []
    if batch:
        yield batch


class _Sink:
    """Where the canonical text goes: the state hash and (unless None) the gzip stream, on
    a thread of its own. zlib and hashlib release the GIL, so compressing and hashing
    overlap reading and encoding the next rows."""

    def __init__(self, state, stream=None):
        self.state, self.stream, self._failure = state, stream, None
        self._chunks: queue.Queue = queue.Queue(maxsize=QUEUED_CHUNKS)
        self._thread = threading.Thread(target=self._run, name="lazyconfig-backup-writer",
                                        daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        if self._failure is not None:
            raise self._failure
        self._chunks.put(data)

    def close(self) -> None:
        """Wait for every chunk to be written; raises what writing one raised."""
        self._chunks.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        while (data := self._chunks.get()) is not None:
            if self._failure is None:
                try:
                    self.state.update(data)
                    if self.stream is not None:
                        self.stream.write(data)
                except BaseException as exc:  # handed to the caller by write() or close()
                    self._failure = exc


def footer(manifest: bytes) -> bytes:
    return FOOTER_TAG + b"%010d %s\n" % (len(manifest), hashlib.sha256(manifest).hexdigest()
                                         .encode())


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest, once the footer's checksum holds; InvalidBackup otherwise."""
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        if size < len(MAGIC) + FOOTER_SIZE:
            raise InvalidBackup(f"{path.name}: too short to be a lazyconfig backup")
        file.seek(size - FOOTER_SIZE)
        tail = file.read(FOOTER_SIZE)
        length = _manifest_length(path, tail)
        if length > min(MANIFEST_MAX, size - FOOTER_SIZE - len(MAGIC)):
            raise InvalidBackup(f"{path.name}: the footer names an impossible manifest size")
        file.seek(size - FOOTER_SIZE - length)
        sealed = file.read(length)
        file.seek(0)
        if file.read(len(MAGIC)) != MAGIC:
            raise InvalidBackup(f"{path.name}: not a lazyconfig backup of format "
                                f"{FORMAT_VERSION}")
    if footer(sealed) != tail:
        raise InvalidBackup(f"{path.name}: the manifest does not match its checksum")
    manifest = json.loads(sealed)
    content = size - FOOTER_SIZE - length
    if not isinstance(manifest, dict) or manifest.get("content_bytes") != content:
        raise InvalidBackup(f"{path.name}: the content is not as long as the manifest says")
    return manifest


def _manifest_length(path: Path, tail: bytes) -> int:
    digits = tail[len(FOOTER_TAG):len(FOOTER_TAG) + 10]
    if not tail.startswith(FOOTER_TAG) or not tail.endswith(b"\n") or not digits.isdigit():
        raise InvalidBackup(f"{path.name}: no lazyconfig backup footer at its end")
    return int(digits)


def check_content(path: Path, manifest: dict[str, Any]) -> None:
    """InvalidBackup unless the content's SHA-256 is the manifest's."""
    sha, left = hashlib.sha256(), manifest["content_bytes"]
    with open(path, "rb") as file:
        while left > 0:
            chunk = file.read(min(CHUNK, left))
            if not chunk:
                break
            sha.update(chunk)
            left -= len(chunk)
    if sha.hexdigest() != manifest.get("content_sha256"):
        raise InvalidBackup(f"{path.name}: the content does not match its checksum")


def sections(path: Path, manifest: dict[str, Any]) -> Iterator[tuple[dict, Iterator[list]]]:
    """Each table's header and its rows (lists of canonical values), streamed."""
    with open(path, "rb") as raw:
        raw.seek(len(MAGIC))
        body = io.BufferedReader(_Bounded(raw, manifest["content_bytes"] - len(MAGIC)), CHUNK)
        with gzip.GzipFile(fileobj=body, mode="rb") as unzipped, \
                io.TextIOWrapper(unzipped, encoding="utf-8", newline="\n") as stream:
            pending = stream.readline()
            while pending:
                head = json.loads(pending)
                rows = _Rows(stream)
                yield head, rows
                for _ in rows:  # a caller that stopped early: skip to the next header
                    pass
                pending = rows.next_header


class _Rows:
    """The row lines after a header, up to the next header (kept in `next_header`)."""

    def __init__(self, stream):
        self.stream, self.next_header = stream, ""

    def __iter__(self):
        return self

    def __next__(self) -> list:
        line = self.stream.readline() if not self.next_header else ""
        if line.startswith("["):
            try:
                return _SCAN(line, 0)[0]
            except StopIteration:  # the scanner's word for "no JSON here"
                raise ValueError(f"not a row: {line[:40]!r}") from None
        self.next_header = self.next_header or line
        raise StopIteration


class _Bounded(io.RawIOBase):
    """The first `left` bytes of a file, read-only."""

    def __init__(self, file: BinaryIO, left: int):
        self.file, self.left = file, left

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.left)
        data = self.file.read(size)
        buffer[:len(data)] = data
        self.left -= len(data)
        return len(data)
