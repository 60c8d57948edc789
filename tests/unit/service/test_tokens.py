"""Service tokens and revocation in the service layer, on the fakes: what the engine
promises without any HTTP."""
from __future__ import annotations

import pytest

from lazyconfig.errors import TokenNotFound, UnstorableText
from lazyconfig.service.revocations import RevocationList
from lazyconfig.service.tokens import parse_service_token


def test_an_issued_token_names_its_caller_until_revoked(service, storage):
    record, token = service.issue_token("loader", "editor", keys=["lazy_*"], expires_in=60,
                                        user="ops", request_id="r1")
    caller = service.service_caller(token)
    assert (caller.name, caller.role, caller.keys, caller.token_id) == (
        "loader", "editor", ("lazy_*",), f"lzc_{record['id']}")
    assert caller.may_use("lazy_x") and not caller.may_use("indexer_threads")
    assert service.service_caller(token + "x") is None  # wrong secret
    assert service.service_caller(f"lzc_{record['id'] + 1}_abc") is None
    service.revoke_token(record["id"], user="ops")
    assert service.service_caller(token) is None
    assert not service.caller_still_valid(caller)
    assert [e["action"] for e in service.audit_events()[0]] == ["token.revoke", "token.issue"]


@pytest.mark.parametrize("name,role,keys,expires_in", [
    ("", "viewer", None, None), ("x", "root", None, None), ("x", "viewer", [], None),
    ("x", "viewer", ["a" * 201], None), ("x", "viewer", None, 0), ("bad\nname", "viewer",
                                                                   None, None)])
def test_a_token_that_cannot_be_issued_is_refused_and_nothing_is_stored(
        service, storage, name, role, keys, expires_in):
    with pytest.raises(UnstorableText):
        service.issue_token(name, role, keys=keys, expires_in=expires_in)
    assert storage.tables.tokens == {} and storage.tables.audit == []


def test_revoking_an_unknown_token_is_token_not_found(service):
    with pytest.raises(TokenNotFound):
        service.revoke_token(42)


@pytest.mark.parametrize("text,parsed", [
    ("lzc_12_abc_def", (12, "abc_def")), ("lzc_12_", None), ("lzc__abc", None),
    ("lzc_١٢_abc", None), ("eyJhbGciOi", None), ("lzc_" + "9" * 19 + "_a", None)])
def test_only_the_service_token_shape_parses(text, parsed):
    assert parse_service_token(text) == parsed


def test_the_revocation_list_polls_at_most_every_refresh_interval(storage):
    revocations = RevocationList(storage, refresh_seconds=3600)
    assert not revocations.is_revoked("jti-1")  # the first poll: nothing revoked
    with storage.writing() as uow:
        uow.revocations.add("jti-1", None, "ops", None)
        uow.commit()
    assert not revocations.is_revoked("jti-1")  # not due for an hour
    assert RevocationList(storage, refresh_seconds=0).is_revoked("jti-1")


class Unreachable:
    """Storage whose database is down: every unit of work fails to open."""

    polls = 0

    def reading(self):
        self.polls += 1
        from lazyconfig.errors import StorageUnavailable
        raise StorageUnavailable("down")


def test_a_database_outage_keeps_the_known_revocations_and_pauses_polling(caplog):
    storage = Unreachable()
    revocations = RevocationList(storage, refresh_seconds=0)
    for _ in range(5):
        assert not revocations.is_revoked("jti-1")
    assert storage.polls == 1  # then a pause, not a connect timeout on every request
    assert caplog.text.count("could not read the revoked tokens") == 1
