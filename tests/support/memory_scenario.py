"""The memory scenario of issue 15, finding 4, for the test suite and bench/: large values
written, then pathological list requests sent in parallel to one gunicorn worker, whose
peak and retained resident memory are read from /proc.

A request is pathological when it asks for much (a page of 1,000 notifications, a replay
of the whole log, an offset far past the end, an export, a diff of the whole state) in a
log whose every change holds a large value. What each answers is counted, so the peak can
be compared with what the requests returned.
"""
from __future__ import annotations

import http.client
import json
import random
import string
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

PREFIX = "/api/lazy-loading-config"
MIB = 1 << 20


def resident(pid: int, field_name: str = "VmRSS") -> int:
    """A process's resident memory in bytes (VmRSS), or its peak since the last reset
    (VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field_name)


def reset_peak(pid: int) -> None:
    """Start VmHWM again from the current resident size (Linux: clear_refs 5)."""
    with open(f"/proc/{pid}/clear_refs", "w") as refs:
        refs.write("5")


class Http:
    """Requests to one server with one token, each on a connection of its own."""

    def __init__(self, port: int, token: str, timeout: float = 60.0):
        self.port, self.timeout = port, timeout
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, PREFIX + path, headers=self.headers,
                         body=None if body is None else json.dumps(body))
            answer = conn.getresponse()
            return answer.status, answer.read()
        finally:
            conn.close()

    def ok(self, method: str, path: str, body=None) -> bytes:
        status, data = self.call(method, path, body)
        if status >= 300:
            raise AssertionError(f"{method} {path}: {status} {data[:300]!r}")
        return data

    def replay(self, since: int, until: int) -> tuple[int, bytes]:
        """A change stream from Last-Event-ID `since`, read until the event of revision
        `until`, then closed: (bytes read, the last few bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request("GET", PREFIX + "/notifications/stream",
                         headers={**self.headers, "Last-Event-ID": str(since)})
            answer = conn.getresponse()
            assert answer.status == 200, answer.status
            read, last = 0, since
            while line := answer.fp.readline():
                read += len(line)
                if line.startswith(b"id: "):
                    last = int(line[4:])
                elif line == b"\n" and last >= until:
                    break  # the end of the event of revision `until`
            return read, str(last).encode()
        finally:
            conn.close()


def seed(client: Http, count: int, size: int) -> list[str]:
    """`count` string keys, each set to its own value of `size` characters, and a snapshot
    of them; returns the keys."""
    keys = [f"large_value_{n:02d}" for n in range(count)]
    letters = random.Random(15)
    for key in keys:
        client.ok("PUT", f"/rules/{key}", {"type": "string", "description": "memory scenario"})
        value = "".join(letters.choices(string.ascii_letters, k=64)) * (size // 64)
        client.ok("PUT", f"/values/{key}", {"value": value})
    client.ok("POST", "/snapshots", {"description": "after the large values"})
    return keys


def pathological(client: Http, key: str, head: int) -> list:
    """Eight requests that each ask for much: (name, call returning the bytes answered)."""
    def get(path):
        return lambda: len(client.ok("GET", path))
    return [
        ("history far past the end", get(f"/values/{key}/history?offset=1000000&limit=1000")),
        ("history, a page of 1,000", get(f"/values/{key}/history?limit=1000")),
        ("notifications since 0", get("/notifications?since=0&limit=1000")),
        ("the newest 1,000 notifications", get("/notifications?limit=1000")),
        ("stream replay from Last-Event-ID 0", lambda: client.replay(0, head)[0]),
        ("export", lambda: len(client.ok("POST", "/export"))),
        ("snapshots listed", get("/snapshots?page_size=100")),
        ("snapshot diff against current", get("/snapshots/1/diff")),
    ]


def quiet(client: Http, key: str, head: int) -> list:
    """Eight requests that ask for much and find little: what they hold must be about what
    they return, whatever the log holds."""
    def get(path):
        return lambda: len(client.ok("GET", path))
    far = get(f"/values/{key}/history?offset=1000000&limit=1000")
    after_head = get(f"/notifications?since={head}&limit=1000")
    return [(f"history far past the end {n}", far) for n in range(4)] + [
        (f"notifications after the head {n}", after_head) for n in range(3)] + [
        ("snapshots listed", get("/snapshots?page_size=100"))]


@dataclass
class Figures:
    """One burst's figures, round after round, against the same baseline."""
    baseline: int  # the worker's resident bytes before the bursts, after the seeding
    stored: int  # bytes of values the configuration holds
    starts: list[int] = field(default_factory=list)  # resident as each round began
    peaks: list[int] = field(default_factory=list)  # the worker's peak in each round
    retained: list[int] = field(default_factory=list)  # resident after each round, settled
    answered: dict[str, int] = field(default_factory=dict)  # bytes each request answered

    @property
    def returned(self) -> int:
        return sum(self.answered.values())

    def as_dict(self) -> dict:
        return {"baseline_mb": round(self.baseline / MIB, 1),
                "stored_mb": round(self.stored / MIB, 1),
                "start_mb": [round(s / MIB, 1) for s in self.starts],
                "peak_mb": [round(p / MIB, 1) for p in self.peaks],
                "retained_mb": [round(r / MIB, 1) for r in self.retained],
                "returned_mb": round(self.returned / MIB, 1),
                "answered_bytes": self.answered}


def burst(pid: int, requests: list, figures: Figures, settle: float) -> None:
    """Send every request at once; note the worker's peak, and its resident size `settle`
    seconds after the last answer."""
    figures.starts.append(resident(pid))
    reset_peak(pid)
    with ThreadPoolExecutor(len(requests)) as pool:
        answers = list(pool.map(lambda item: (item[0], item[1]()), requests))
    figures.peaks.append(resident(pid, "VmHWM"))
    figures.answered = dict(answers)
    time.sleep(settle)
    figures.retained.append(resident(pid))


def run(client: Http, pid: int, *, count: int = 60, size: int = 1_000_000, rounds: int = 2,
        settle: float = 1.0) -> dict[str, Figures]:
    """The whole scenario against the one worker `pid` of a started server: the values
    written, then `rounds` of the pathological burst and of the quiet one, in turns."""
    keys = seed(client, count, size)
    newest = json.loads(client.ok("GET", "/notifications?limit=1"))["notifications"]
    head = newest[0]["revision"]
    for path in ("/notifications?limit=1", f"/values/{keys[0]}/history?limit=1"):
        client.ok("GET", path)  # first use of each route, outside the measurement
    time.sleep(settle)
    baseline = resident(pid)
    found = {name: Figures(baseline, count * size) for name in ("pathological", "quiet")}
    for _ in range(rounds):
        burst(pid, pathological(client, keys[0], head), found["pathological"], settle)
        burst(pid, quiet(client, keys[0], head), found["quiet"], settle)
    return found
