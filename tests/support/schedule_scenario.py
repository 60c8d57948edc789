"""Scheduled change requests on served workers, one of which is SIGKILLed half-way: is
each applied exactly once, and how late? The suite runs 20 over 15 s
(tests/serving/test_scheduled_apply_served.py); the bench the issue's 100 over 2 minutes
(bench/scenarios/scheduled_apply.py)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from .revocation_scenario import request

LEAD_SECONDS = 2.0  # from the last request made to the first one due
SETTLE_SECONDS = 3.0  # after the last one due, before looking


def key(n: int) -> str:
    return f"scheduled_{n:03d}"


def schedule(url: str, admin: str, count: int, spread: float) -> list[dict]:
    """One new key per request (so no request moves another's expected version), and
    `count` requests due evenly over `spread` seconds from LEAD_SECONDS on."""
    for n in range(count):
        status, body = request(url, "PUT", f"/rules/{key(n)}", admin,
                               {"type": "int", "default": 0})
        assert status == 200, body
    start = datetime.now(timezone.utc) + timedelta(seconds=LEAD_SECONDS + count * 0.05)
    made = []
    for n in range(count):
        at = start + timedelta(seconds=spread * n / count)
        status, body = request(url, "PUT", f"/values/{key(n)}", admin,
                               {"value": n + 1, "scheduled_at": at.isoformat()})
        assert status == 202 and body["state"] == "approved", body
        made.append(body)
    return made


def run(url: str, admin: str, count: int, spread: float,
        kill: Callable[[], None] | None = None) -> dict:
    """Schedule, `kill` a worker half-way, then check every request: applied once, at its
    value, and the lateness (applied_at - scheduled_at) of each, sorted."""
    made = schedule(url, admin, count, spread)
    first = datetime.fromisoformat(made[0]["scheduled_at"])
    last = datetime.fromisoformat(made[-1]["scheduled_at"])
    _sleep_until(first + (last - first) / 2)
    if kill is not None:
        kill()
    _sleep_until(last + timedelta(seconds=SETTLE_SECONDS))
    late, failures = [], []
    for n, held in enumerate(made):
        status, body = request(url, "GET", f"/change-requests/{held['id']}", admin)
        history = request(url, "GET", f"/values/{key(n)}/history", admin)[1]
        applied = [row for row in history["history"] if row["action"] == "change_request"]
        if body["state"] != "applied" or len(applied) != 1 or applied[0]["new_value"] != n + 1:
            failures.append((held["id"], body["state"], body.get("reason"), len(applied)))
            continue
        late.append((datetime.fromisoformat(body["applied_at"])
                     - datetime.fromisoformat(body["scheduled_at"])).total_seconds())
    late.sort()
    return {"count": count, "failures": failures, "late": late,
            "late_max_s": late[-1] if late else None,
            "late_median_s": late[len(late) // 2] if late else None,
            "late_p95_s": late[int(len(late) * 0.95)] if late else None}


def _sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(timezone.utc)).total_seconds()))
