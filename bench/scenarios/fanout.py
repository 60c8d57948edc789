"""Fan-out (issue 17): many watchers on one two-worker server, the clients in processes of
their own (asyncio, loopback only, bounded in count and time).

    python -m bench.scenarios.fanout --watchers 10000 --waiters 1000 --seconds 60

Watchers are SSE streams and WebSockets half and half, plus blocking queries that ask again
as soon as they are answered. Reported: the server's memory per watcher and idle CPU (over
one 15 s heartbeat), one write's arrival at every watcher (p50/p99 from the write), a stream
of `--rate` writes a second for `--seconds` with every client checking its revisions for a
gap or a duplicate, and GET/PUT throughput with the watchers attached over the same
without them, measured in the same run. Not yet part of `python -m bench` (scenario list).
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing as mp
import os
import resource
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lazyconfig.auth import create_token  # noqa: E402
from tests.support.servers import GunicornServer, children, server_env  # noqa: E402

SECRET = "fanout-bench-secret-that-is-long-enough-0123456789"
PREFIX = "/api/lazy-loading-config"
KEY = "load_timeout"  # the key every watcher follows, and the write stream writes
PROBED = "max_concurrent_loads"  # the key GET and PUT throughput is measured on
CLIENT_PROCESSES = 4


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- the client processes ----------------------------------------------------------------
class Tally:
    """One client's revisions: gaps, duplicates, and when each watched revision arrived."""

    def __init__(self, start: int, mark: mp.Value):
        self.last, self.gaps, self.dups, self.mark, self.arrived = start, 0, 0, mark, None

    def see(self, revision: int) -> None:
        # Only KEY is watched and, from the single write on, only KEY is written: from
        # there every revision must follow the last.
        if revision <= self.last:
            self.dups += 1
        elif revision > self.last + 1 and self.last >= self.mark.value > 0:
            self.gaps += 1
        self.last = max(self.last, revision)
        if revision == self.mark.value and self.arrived is None:
            self.arrived = time.time()


async def sse(port: int, token: str, tally: Tally, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    writer.write((f"GET {PREFIX}/notifications/stream?key={KEY} HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {token}\r\nLast-Event-ID: {tally.last}\r\n\r\n").encode())
    await writer.drain()
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            break
        if line.startswith(b"id: "):
            revision = int(line[4:])
            if revision > tally.last or b"event" in (await reader.readline()):
                tally.see(revision)
    writer.close()


async def websocket(port: int, token: str, tally: Tally, stop: asyncio.Event) -> None:
    from websockets.asyncio.client import connect
    async with connect(f"ws://127.0.0.1:{port}{PREFIX}/notifications/ws",
                       subprotocols=["lazyconfig.v1"], max_size=None, ping_interval=None,
                       additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send(json.dumps({"type": "subscribe", "since": tally.last, "keys": [KEY]}))
        while not stop.is_set():
            message = json.loads(await ws.recv())
            if message["type"] == "change":
                tally.see(message["change"]["revision"])


async def blocking(port: int, token: str, tally: Tally, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
    while not stop.is_set():
        writer.write((f"GET {PREFIX}/notifications?since={tally.last}&wait=30&limit=1000&key={KEY} "
                      f"HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
        await writer.drain()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = json.loads(await reader.readexactly(length))
        for item in body["notifications"]:
            tally.see(item["revision"])
    writer.close()


def client_process(port: int, kinds: list[str], start: int, mark, ready, go_home, out) -> None:
    raise_file_limit()
    token = create_token(SECRET, "watcher", "viewer", 3600)

    async def main() -> None:
        stop = asyncio.Event()
        tallies = [Tally(start, mark) for _ in kinds]
        run = {"sse": sse, "websocket": websocket, "wait": blocking}
        tasks = []
        for kind, tally in zip(kinds, tallies):
            tasks.append(asyncio.create_task(run[kind](port, token, tally, stop)))
            if len(tasks) % 200 == 0:
                await asyncio.sleep(0.05)  # do not flood the accept queue
        await asyncio.sleep(2)
        with ready.get_lock():
            ready.value += 1
        while not go_home.is_set():
            await asyncio.sleep(0.2)
        failed = sum(t.done() and t.exception() is not None for t in tasks)
        stop.set()
        for task in tasks:
            task.cancel()
        out.put({"kinds": kinds, "gaps": [t.gaps for t in tallies],
                 "dups": [t.dups for t in tallies], "last": [t.last for t in tallies],
                 "arrived": [t.arrived for t in tallies], "failed": failed})
    asyncio.run(main())


# -- the parent: server, phases, figures ---------------------------------------------------
def call(port: int, method: str, path: str, token: str, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, PREFIX + path, None if body is None else json.dumps(body),
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def throughput(port: int, token: str, seconds: float, threads: int = 8) -> dict[str, float]:
    """GET and PUT requests a second, each for `seconds`, `threads` keep-alive clients."""
    result = {}
    for method in ("GET", "PUT"):
        count, until = [0] * threads, time.monotonic() + seconds

        def loop(n: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.monotonic() < until:
                body = json.dumps({"value": 1 + count[n] % 100}) if method == "PUT" else None
                conn.request(method, f"{PREFIX}/values/{PROBED}", body, {
                    "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                conn.getresponse().read()
                count[n] += 1
        workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        result[method] = sum(count) / seconds
    return result


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            total += next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))
    return total


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def head(port: int, token: str) -> int:
    _, body = call(port, "GET", "/notifications?limit=1", token)
    items = json.loads(body)["notifications"]
    return items[-1]["revision"] if items else 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def note(figures: dict, phase: str) -> None:
    """What is measured so far, on stderr: a run cut short still says how far it got."""
    print(f"{time.strftime('%H:%M:%S')} {phase}: {json.dumps(figures)}", file=sys.stderr,
          flush=True)


def run(args: argparse.Namespace) -> dict:
    raise_file_limit()
    # A stop (timeout, Ctrl-C) still stops the server: SIGTERM unwinds like SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    work = Path(tempfile.mkdtemp(prefix="fanout-"))
    url = args.database or f"sqlite:///{work / 'lazyconfig.db'}"
    env = server_env(url, work / "instance", SECRET, LAZYCONFIG_RUN_DIR=str(work / "run"))
    server = GunicornServer(env, work / "gunicorn.log", workers=2,
                            extra_args=("--access-logfile", "/dev/null", "--log-level",
                                        "warning")).start()
    admin = create_token(SECRET, "bench", "admin", 3600)
    port = server.port
    try:
        figures: dict = {"watchers": args.watchers, "waiters": args.waiters}
        call(port, "PUT", f"/values/{KEY}", admin, {"value": 1.0})
        figures["alone"] = throughput(port, admin, args.probe)
        pids = children(server.process.pid)
        note(figures, "alone")
        rss_before = rss_kib(pids)
        start = head(port, admin)
        mark = mp.Value("q", -1)
        ready, go_home, out = mp.Value("i", 0), mp.Event(), mp.Queue()
        kinds = (["sse", "websocket"] * args.watchers)[:args.watchers] + ["wait"] * args.waiters
        shares = [kinds[n::CLIENT_PROCESSES] for n in range(CLIENT_PROCESSES)]
        procs = [mp.Process(target=client_process,
                            args=(port, share, start, mark, ready, go_home, out))
                 for share in shares]
        for p in procs:
            p.start()
        deadline = time.monotonic() + 120
        while ready.value < CLIENT_PROCESSES and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)
        figures["kib_per_watcher"] = (rss_kib(pids) - rss_before) / len(kinds)
        note(figures, "connected")
        cpu0 = cpu_seconds(pids)
        time.sleep(15.5)  # one heartbeat
        figures["idle_cpu_share"] = (cpu_seconds(pids) - cpu0) / 15.5
        note(figures, "idle")
        figures["attached"] = throughput(port, admin, args.probe)
        mark.value = head(port, admin) + 1
        written_at = time.time()
        call(port, "PUT", f"/values/{KEY}", admin, {"value": 2.0})
        time.sleep(3)
        note(figures, "one write")
        began = time.monotonic()
        for n in range(int(args.rate * args.seconds)):  # the write stream
            call(port, "PUT", f"/values/{KEY}", admin, {"value": 10.0 + n % 50})
            time.sleep(max(0.0, began + (n + 1) / args.rate - time.monotonic()))
        figures["stream_seconds"] = time.monotonic() - began
        final = head(port, admin)
        note(figures, "stream")
        time.sleep(5)
        go_home.set()
        reports = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(30)
        arrived = [t - written_at for r in reports for t in r["arrived"] if t is not None]
        figures.update({
            "one_write_reached": len(arrived), "one_write_p50_s": percentile(arrived, 0.5),
            "one_write_p99_s": percentile(arrived, 0.99),
            "stream_writes": final - mark.value,
            "clients_with_gap": sum(g > 0 for r in reports for g in r["gaps"]),
            "clients_with_dup": sum(d > 0 for r in reports for d in r["dups"]),
            "clients_behind_at_end": sum(last < final for r in reports for last in r["last"]),
            "client_tasks_failed": sum(r["failed"] for r in reports),
            "put_ratio": figures["attached"]["PUT"] / figures["alone"]["PUT"],
            "get_ratio": figures["attached"]["GET"] / figures["alone"]["GET"],
        })
        return figures
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchers", type=int, default=10_000)
    parser.add_argument("--waiters", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--probe", type=float, default=5.0, help="seconds per throughput run")
    parser.add_argument("--database", help="a SQLAlchemy URL (default: a new SQLite file)")
    figures = run(parser.parse_args())
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
