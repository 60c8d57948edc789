"""Notifications: who changed what, when, filtered by ?limit, ?since and ?key."""
from __future__ import annotations

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"


def put(client, headers, key, value, description=None):
    body = {"value": value, "description": description}
    response = client.put(f"{PREFIX}/values/{key}", json=body, headers=headers)
    assert response.status_code == 200, response.json


def test_each_notification_says_who_changed_what(client, as_role, viewer):
    put(client, as_role("editor", "alice"), KEY, 30.0, "Optimized check interval")
    response = client.get(f"{PREFIX}/notifications?limit=10", headers=viewer)
    assert response.status_code == 200
    [note] = response.json["notifications"]
    assert {k: note[k] for k in ("key", "old_value", "new_value", "source", "user",
                                 "description")} == {
        "key": KEY, "old_value": 60.0, "new_value": 30.0, "source": "runtime", "user": "alice",
        "description": "Optimized check interval"}
    assert note["timestamp"] and note["revision"] == 1


def test_limit_since_and_key_filter(client, editor, viewer):
    for value in (10.0, 20.0, 30.0):
        put(client, editor, KEY, value)
    put(client, editor, "load_timeout", 5.0)
    url = f"{PREFIX}/notifications"
    newest = client.get(f"{url}?limit=2", headers=viewer).json["notifications"]
    assert [n["revision"] for n in newest] == [3, 4]
    after = client.get(f"{url}?since=1&limit=2", headers=viewer).json["notifications"]
    assert [n["revision"] for n in after] == [2, 3]
    only = client.get(f"{url}?key=load_timeout", headers=viewer).json["notifications"]
    assert [n["key"] for n in only] == ["load_timeout"]
    assert client.get(f"{url}?limit=-1", headers=viewer).status_code == 422
    assert client.get(f"{url}?since=abc", headers=viewer).status_code == 422
