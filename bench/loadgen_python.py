"""A small asyncio HTTP/1.1 load client: open loop at a constant rate (latency under a given
load), or closed loop where wrk is missing. Keep-alive connections, Content-Length or
chunked bodies; enough for the service, the baselines and etcd's gateway."""
from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from urllib.parse import urlsplit

from .loadgen_types import Load, Target, percentile


class _Client:
    def __init__(self, target: Target, seconds: float, rate: float | None):
        url = urlsplit(target.url)
        self.address = (url.hostname, url.port or 80)
        self.target = target
        self.head = (f"{target.method} {url.path or '/'}{'?' + url.query if url.query else ''}"
                     f" HTTP/1.1\r\nHost: {url.netloc}\r\n")
        if target.authorization:
            self.head += f"Authorization: {target.authorization}\r\n"
        self.seconds, self.rate = seconds, rate
        self.numbers = itertools.count(1)
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.socket_errors = 0

    def request(self) -> bytes:
        body = self.target.body_for(next(self.numbers)) if self.target.body else b""
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" \
            if body else ""
        return (self.head + extra + "\r\n").encode() + body

    async def run(self, connections: int) -> Load:
        loop = asyncio.get_running_loop()
        start = loop.time()
        self.end = start + self.seconds
        # Open loop: request i is due at start + i/rate whether or not earlier ones are done.
        self.due = (start + i / self.rate for i in itertools.count()) if self.rate else None
        await asyncio.gather(*(self.connection() for _ in range(connections)))
        elapsed = loop.time() - start
        ordered = sorted(self.latencies)
        return Load(generator="python", requests=len(ordered), seconds=elapsed,
                    p50_ms=percentile(ordered, 0.50) * 1000,
                    p90_ms=percentile(ordered, 0.90) * 1000,
                    p99_ms=percentile(ordered, 0.99) * 1000, socket_errors=self.socket_errors,
                    non_2xx=sum(n for status, n in self.statuses.items()
                                if not 200 <= status < 300),
                    rate=self.rate)

    async def next_due(self, loop) -> float | None:
        if self.due is None:
            now = loop.time()
            return now if now < self.end else None
        due = next(self.due)
        if due >= self.end:
            return None
        await asyncio.sleep(max(0.0, due - loop.time()))
        return due

    async def connection(self) -> None:
        loop = asyncio.get_running_loop()
        reader = writer = None
        while (due := await self.next_due(loop)) is not None:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(*self.address)
                writer.write(self.request())
                status, keep_alive = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.socket_errors += 1
                writer = _close(writer)
                continue
            self.latencies.append(loop.time() - due)
            self.statuses[status] += 1
            if not keep_alive:
                writer = _close(writer)
        _close(writer)


def _close(writer) -> None:
    if writer is not None:
        writer.close()
    return None


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; (status, whether the connection stays open)."""
    version, status, _ = (await reader.readuntil(b"\r\n")).split(b" ", 2)
    headers = {}
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.readexactly(int(headers.get("content-length", 0)))
    connection = headers.get("connection", "keep-alive" if version == b"HTTP/1.1" else "close")
    return int(status), connection == "keep-alive"


def run(target: Target, seconds: float, connections: int, rate: float | None = None) -> Load:
    """Drive `target` for `seconds` over `connections` connections, at `rate` requests/s
    (open loop) or as fast as answers come (closed loop, rate None)."""
    return asyncio.run(_Client(target, seconds, rate).run(connections))
