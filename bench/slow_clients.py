"""Hostile clients for the slow-client scenario (issue 15): connections that are idle, that
send a request's headers a line at a time, or its body a byte at a time, and change streams
that stay open. Run in a process of its own so they do not share the probes' interpreter:

    python -m bench.slow_clients --port P --token T --idle 700 --headers 700 --body 600 \
        --streams 400 --seconds 30

Each kind keeps its count of connections open for the whole run: one the server closes is
opened again at once, as an attacker would. The last line on stdout is a JSON summary.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

PATH = "/api/lazy-loading-config"
ROOT = Path(__file__).resolve().parents[1]  # the checkout, where `-m bench...` runs
TRICKLE_SECONDS = 2.0  # between two lines of headers, or two bytes of a body


@dataclass
class Tally:
    opened: int = 0
    refused: int = 0  # connect failed
    closed_by_server: int = 0
    answers: int = 0  # an answer came (e.g. 408), then the server closed
    stream_bytes: int = 0
    streams_open: int = 0


async def _hold(kind: str, host: str, port: int, token: str, end: float, tally: Tally) -> None:
    while time.monotonic() < end:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            tally.refused += 1
            await asyncio.sleep(0.5)
            continue
        tally.opened += 1
        try:
            await KINDS[kind](reader, writer, token, end, tally)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
        if time.monotonic() < end:
            tally.closed_by_server += 1


async def _idle(reader, writer, token, end, tally) -> None:
    data = await _read_until(reader, end)
    tally.answers += bool(data)


async def _headers(reader, writer, token, end, tally) -> None:
    head = f"GET {PATH}/values/load_timeout HTTP/1.1\r\nHost: x\r\n"
    await _trickle(reader, writer, head, b"X-Slow: 1\r\n", end, tally)


async def _body(reader, writer, token, end, tally) -> None:
    head = (f"PUT {PATH}/values/load_timeout HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: 100000\r\n\r\n")
    await _trickle(reader, writer, head, b" ", end, tally)


async def _trickle(reader, writer, head: str, drip: bytes, end: float, tally: Tally) -> None:
    """Send `head`, then `drip` every TRICKLE_SECONDS until the server answers or closes."""
    writer.write(head.encode())
    while time.monotonic() < end:
        await writer.drain()
        if await _answered(reader, TRICKLE_SECONDS, tally):
            return
        writer.write(drip)


async def _stream(reader, writer, token, end, tally) -> None:
    writer.write((f"GET {PATH}/notifications/stream HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n").encode())
    await writer.drain()
    tally.streams_open += 1
    try:
        while (left := end - time.monotonic()) > 0:
            chunk = await asyncio.wait_for(reader.read(65536), left)
            if not chunk:
                return
            tally.stream_bytes += len(chunk)
    except asyncio.TimeoutError:
        pass
    finally:
        tally.streams_open -= 1


async def _answered(reader, seconds: float, tally: Tally) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(65536), seconds)
    except asyncio.TimeoutError:
        return False
    tally.answers += bool(data)
    return True  # an answer, or the server closed


async def _read_until(reader, end: float) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(65536), max(end - time.monotonic(), 0))
    except asyncio.TimeoutError:
        return b""


KINDS = {"idle": _idle, "headers": _headers, "body": _body, "streams": _stream}


async def main(args: argparse.Namespace) -> dict:
    end = time.monotonic() + args.seconds
    tallies = {kind: Tally() for kind in KINDS}
    tasks = [asyncio.create_task(_hold(kind, args.host, args.port, args.token, end,
                                       tallies[kind]))
             for kind in KINDS for _ in range(getattr(args, kind))]
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.gather(*tasks)
    return {kind: asdict(tally) for kind, tally in tallies.items()}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--seconds", type=float, default=30.0)
    for kind in KINDS:
        parser.add_argument(f"--{kind}", type=int, default=0)
    return parser.parse_args()



# --- what the scenario and the reliability test run beside the attack -----------------

class Attack:
    """The hostile clients, in a process of their own, for `seconds`; `summary` holds what
    they saw once the process has ended (on leaving the block)."""

    def __init__(self, url: str, token: str, seconds: float, **counts: int):
        host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
        self.command = [sys.executable, "-m", "bench.slow_clients", "--host", host,
                        "--port", port, "--token", token, "--seconds", str(seconds)]
        self.command += [arg for kind, n in counts.items() for arg in (f"--{kind}", str(n))]
        self.seconds = seconds
        self.summary: dict = {}

    def __enter__(self) -> "Attack":
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, text=True,
                                        cwd=ROOT)
        self.process.stdout.readline()  # ready: every connection is on its way
        return self

    def __exit__(self, *exc) -> None:
        try:
            out, _ = self.process.communicate(timeout=self.seconds + 30)
            self.summary = json.loads(out.strip().splitlines()[-1])
        finally:
            if self.process.poll() is None:
                self.process.kill()


def probe(url: str, token: str, seconds: float, pause: float = 0.02,
          timeout: float = 20.0) -> dict:
    """Ordinary requests, one at a time, GET and PUT in turns, each on a new connection,
    for `seconds`: their latencies (s) and the ones that failed or timed out."""
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    latencies: dict[str, list[float]] = {"GET": [], "PUT": []}
    failures: list[str] = []
    end, turn = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        method = "GET" if turn % 2 == 0 else "PUT"
        body = json.dumps({"value": float(turn)}) if method == "PUT" else None
        started = time.monotonic()
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            conn.request(method, f"{PATH}/values/load_timeout", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                failures.append(f"{method} {answer.status}")
        except OSError as exc:
            failures.append(f"{method} {exc!r}")
        finally:
            conn.close()
        latencies[method].append(time.monotonic() - started)
        turn += 1
        time.sleep(pause)
    return {"latencies": latencies, "failures": failures}


def resources(pids: Iterable[int]) -> dict[str, int]:
    """Threads, open file descriptors and resident memory (KiB) of the processes `pids`."""
    totals = {"threads": 0, "fds": 0, "rss_kib": 0}
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status)
        totals["threads"] += int(fields["Threads"])
        totals["rss_kib"] += int(fields["VmRSS"].split()[0])
        totals["fds"] += len(os.listdir(f"/proc/{pid}/fd"))
    return totals


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(_arguments()))), flush=True)
