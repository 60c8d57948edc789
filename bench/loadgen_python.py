"""A small asyncio HTTP/1.1 load client: open loop at a constant rate (latency under a given
load), or closed loop where wrk is missing. Keep-alive connections, Content-Length or
chunked bodies; enough for the service, the baselines and etcd's gateway."""
from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import Iterator, Mapping
from urllib.parse import urlsplit

from .loadgen_types import Load, Target, percentile


class _Client:
    """Load on one target over a fixed set of keep-alive connections, in one or more
    stretches; the connections stay open between stretches and the figures add up."""

    def __init__(self, target: Target, connections: int):
        url = urlsplit(target.url)
        self.address = (url.hostname, url.port or 80)
        self.target = target
        self.head = (f"{target.method} {url.path or '/'}{'?' + url.query if url.query else ''}"
                     f" HTTP/1.1\r\nHost: {url.netloc}\r\n")
        if target.authorization:
            self.head += f"Authorization: {target.authorization}\r\n"
        self.streams: list[tuple | None] = [None] * connections
        self.numbers = itertools.count(1)
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.socket_errors = 0
        self.elapsed = 0.0
        self.rate: float | None = None

    def request(self) -> bytes:
        body = self.target.body_for(next(self.numbers)) if self.target.body else b""
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" \
            if body else ""
        return (self.head + extra + "\r\n").encode() + body

    async def drive(self, seconds: float, rate: float | None) -> None:
        """One stretch: `seconds` of load at `rate` requests/s (open loop) or as fast as
        answers come (rate None); returns once every request sent has been answered."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        # Open loop: request i is due at start + i/rate whether or not earlier ones are done.
        due = (start + i / rate for i in itertools.count()) if rate else None
        schedule = _Schedule(start + seconds, due)
        await asyncio.gather(*(self.connection(slot, schedule)
                               for slot in range(len(self.streams))))
        self.elapsed += loop.time() - start
        self.rate = rate

    def load(self) -> Load:
        """Every stretch so far, as one run's figures."""
        ordered = sorted(self.latencies)
        return Load(generator="python", requests=len(ordered), seconds=self.elapsed,
                    p50_ms=percentile(ordered, 0.50) * 1000,
                    p90_ms=percentile(ordered, 0.90) * 1000,
                    p99_ms=percentile(ordered, 0.99) * 1000, socket_errors=self.socket_errors,
                    non_2xx=sum(n for status, n in self.statuses.items()
                                if not 200 <= status < 300),
                    rate=self.rate)

    async def connection(self, slot: int, schedule: "_Schedule") -> None:
        loop = asyncio.get_running_loop()
        while (due := await schedule.next_due(loop)) is not None:
            try:
                reader, writer = await self.stream(slot)
                writer.write(self.request())
                status, keep_alive = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.socket_errors += 1
                self.drop(slot)
                continue
            self.latencies.append(loop.time() - due)
            self.statuses[status] += 1
            if not keep_alive:
                self.drop(slot)

    async def stream(self, slot: int) -> tuple:
        # A server may close a connection that sat idle between stretches; that is not an
        # error of the run, so such a connection is replaced before it is used.
        if self.streams[slot] is None or self.streams[slot][0].at_eof():
            self.drop(slot)
            self.streams[slot] = await asyncio.open_connection(*self.address)
        return self.streams[slot]

    def drop(self, slot: int) -> None:
        if self.streams[slot] is not None:
            self.streams[slot][1].close()
        self.streams[slot] = None

    def close(self) -> None:
        for slot in range(len(self.streams)):
            self.drop(slot)


class _Schedule:
    """When a stretch's requests are due: at fixed times (open loop), or whenever a
    connection is free (closed loop, `due` None), until `end`."""

    def __init__(self, end: float, due: Iterator[float] | None):
        self.end, self.due = end, due

    async def next_due(self, loop) -> float | None:
        if self.due is None:
            now = loop.time()
            return now if now < self.end else None
        due = next(self.due)
        if due >= self.end:
            return None
        await asyncio.sleep(max(0.0, due - loop.time()))
        return due


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


def run(target: Target, seconds: float, connections: int) -> Load:
    """Drive `target` for `seconds` over `connections` connections, as fast as answers come
    (closed loop; open loops go through in_turns)."""
    return in_turns({"": target}, seconds, connections, None, stretches=1)[""]


def in_turns(targets: Mapping[str, Target], seconds: float, connections: int,
             rate: float | None, stretches: int) -> dict[str, Load]:
    """Load on each of `targets` for `seconds` in all, cut into `stretches` taken in turn
    (A B, B A, A B, ...), so that a slow spell of the machine, which lasts seconds, falls
    on every target alike; one Load per target pools its stretches."""
    async def turns() -> dict[str, Load]:
        clients = {name: _Client(target, connections) for name, target in targets.items()}
        order = list(clients)
        try:
            for stretch in range(stretches):
                for name in order if stretch % 2 == 0 else reversed(order):
                    await clients[name].drive(seconds / stretches, rate)
        finally:
            for client in clients.values():
                client.close()
        return {name: client.load() for name, client in clients.items()}
    return asyncio.run(turns())
