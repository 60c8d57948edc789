"""Over the API, a revision before the change log's kept window is a 410 naming the first
kept revision (notifications, blocking queries, the stream's Last-Event-ID, revert), and
everything inside the window answers as before compaction."""
from __future__ import annotations

from lazyconfig.service.compaction import LogRetention

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"


def _compacted(client, editor, engine, writes=20, keep=5) -> int:
    for n in range(writes):
        response = client.put(f"{PREFIX}/values/{KEY}", json={"value": 10.0 + n}, headers=editor)
        assert response.status_code == 200, response.json
    return engine.change_log.compact(retention=LogRetention(max_entries=keep)).first_kept_revision


def _gone(response, first):
    assert response.status_code == 410, response.json
    assert response.json["status"] == "Gone"
    assert response.json["errors"] == {"first_kept_revision": first}
    assert f"revision {first}" in response.json["message"]


def test_notifications_before_the_window_are_gone_inside_it_exact(client, editor, viewer, engine):
    first = _compacted(client, editor, engine)
    _gone(client.get(f"{PREFIX}/notifications?since={first - 1}", headers=viewer), first)
    _gone(client.get(f"{PREFIX}/notifications?since=0&wait=1", headers=viewer), first)
    kept = client.get(f"{PREFIX}/notifications?since={first}", headers=viewer).json
    assert [n["revision"] for n in kept["notifications"]] == list(range(first + 1,
                                                                       engine.revision + 1))
    newest = client.get(f"{PREFIX}/notifications?limit=3", headers=viewer).json
    assert len(newest["notifications"]) == 3


def test_a_stream_resumed_before_the_window_is_gone(client, editor, viewer, engine):
    first = _compacted(client, editor, engine)
    stale = client.get(f"{PREFIX}/notifications/stream",
                       headers={**viewer, "Last-Event-ID": str(first - 1)})
    _gone(stale, first)


def test_revert_before_the_window_is_gone_inside_it_exact(client, editor, viewer, engine):
    first = _compacted(client, editor, engine)
    _gone(client.post(f"{PREFIX}/values/{KEY}/revert", json={"revision": first - 1},
                      headers=editor), first)
    reverted = client.post(f"{PREFIX}/values/{KEY}/revert", json={"revision": first},
                           headers=editor)
    assert reverted.status_code == 200 and reverted.json["value"] == 10.0 + first - 1
    history = client.get(f"{PREFIX}/values/{KEY}/history?limit=100", headers=viewer).json
    assert history["total"] == engine.revision - first
    assert history["history"][-1]["revision"] == first + 1
