"""`lazyconfig token issue`: an opaque service token on the database, printed once."""
from __future__ import annotations

import time

import pytest

from lazyconfig.service.tokens import parse_service_token


def test_token_issue_prints_a_token_the_database_knows_by_its_hash(cli, make_engine):
    done = cli("token", "issue", "--name", "loader-eu1", "--role", "viewer",
               "--keys", "lazy_loading_*", "--keys", "indexer_*", "--expires-in", "30d")
    assert done.exit_code == 0, done.stderr
    token = done.stdout.strip()
    engine = make_engine()
    caller = engine.service_caller(token)
    assert (caller.name, caller.role, caller.keys) == (
        "loader-eu1", "viewer", ("lazy_loading_*", "indexer_*"))
    assert abs(caller.expires_at - (time.time() + 30 * 86400)) < 60
    (record,), total = engine.list_tokens()
    assert record["created_by"] == "ops" and parse_service_token(token)[0] == record["id"]
    events, _ = engine.audit_events()
    assert [(e["action"], e["actor"]) for e in events] == [("token.issue", "ops")]


@pytest.mark.parametrize("expires_in", ["0d", "3x", "-1", "d"])
def test_a_malformed_duration_is_bad_usage_and_issues_nothing(cli, make_engine, expires_in):
    refused = cli("token", "issue", "--name", "x", "--role", "viewer",
                  "--expires-in", expires_in)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert make_engine().list_tokens() == ([], 0)
