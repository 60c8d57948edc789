"""Sensitive values are masked for everyone but admins, wherever values appear."""
from __future__ import annotations

import pytest

from .conftest import PREFIX

KEY = "loader_api_token"


@pytest.fixture
def secret_key(client, admin):
    rule = {"type": "string", "default": "", "sensitive": True, "description": "API token"}
    assert client.put(f"{PREFIX}/rules/{KEY}", json=rule, headers=admin).status_code == 200
    response = client.put(f"{PREFIX}/values/{KEY}", json={"value": "s3cr3t"}, headers=admin)
    assert response.status_code == 200 and response.json["value"] == "s3cr3t"


def shown(client, headers):
    """Every place the value could leak, as one role sees it."""
    get = lambda path: client.get(f"{PREFIX}{path}", headers=headers).json  # noqa: E731
    return {
        "status": get("/status")["values"][KEY],
        "list": next(v for v in get("/values")["values"] if v["key"] == KEY)["value"],
        "one": get(f"/values/{KEY}")["layers"]["runtime"],
        "notification": get(f"/notifications?key={KEY}")["notifications"][-1]["new_value"],
        "history": get(f"/values/{KEY}/history")["history"][0]["new_value"],
        "export": client.post(f"{PREFIX}/export", headers=headers).json["values"][KEY],
    }


@pytest.mark.usefixtures("secret_key")
@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_masked_below_admin(client, as_role, role):
    assert set(shown(client, as_role(role)).values()) == {"***"}


@pytest.mark.usefixtures("secret_key")
def test_admins_see_the_value(client, admin):
    assert set(shown(client, admin).values()) == {"s3cr3t"}


@pytest.mark.usefixtures("secret_key")
def test_editor_write_answer_is_masked(client, editor):
    response = client.put(f"{PREFIX}/values/{KEY}", json={"value": "other"}, headers=editor)
    assert response.status_code == 200 and response.json["value"] == "***"
