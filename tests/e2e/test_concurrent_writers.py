"""Several clients writing at once through both workers: every write lands exactly once,
and If-Match lets only one of two racing editors win."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .test_spec_curl_examples import call

pytestmark = pytest.mark.slow
KEY = "max_concurrent_loads"


def test_concurrent_puts_are_all_applied_and_logged_once(server):
    editor = server.token("racer", "editor")
    start = call(server, "GET", "/notifications?limit=1", editor).json()["notifications"]
    since = start[-1]["revision"] if start else 0

    def put(n):
        return call(server, "PUT", f"/values/{KEY}", editor, json={"value": n}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(put, range(1, 25)))
    assert statuses == [200] * 24
    notes = call(server, "GET", f"/notifications?since={since}&limit=100&key={KEY}",
                 editor).json()["notifications"]
    assert sorted(n["new_value"] for n in notes) == list(range(1, 25))
    final = call(server, "GET", f"/values/{KEY}", editor).json()
    assert final["value"] == notes[-1]["new_value"] and final["version"] == notes[-1]["revision"]


def test_if_match_lets_one_of_two_racing_editors_win(server):
    editor = server.token("racer", "editor")
    etag = call(server, "GET", f"/values/{KEY}", editor).headers["ETag"]

    def put(n):
        return call(server, "PUT", f"/values/{KEY}", editor, json={"value": 100 + n},
                    headers={"If-Match": etag}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(put, range(4)))
    assert statuses == [200, 412, 412, 412]
