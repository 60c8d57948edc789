"""The contract of the access stores (service tokens, revocations, audit log): the fakes and
the SQLAlchemy repositories answer alike (the `storage` fixture gives each in turn)."""
from __future__ import annotations

from datetime import timedelta

from contract.test_storage_contract import AT, storage  # noqa: F401  (the fixture)


def test_service_tokens_keep_their_hash_and_are_revoked_and_touched_once(storage):  # noqa: F811
    with storage.writing() as uow:
        first = uow.tokens.add(name="loader", role="viewer", keys=["lazy_*"], secret_hash="h1",
                               created_at=AT, created_by="ops", expires_at=None)
        uow.tokens.add(name="other", role="admin", keys=None, secret_hash="h2",
                       created_at=AT, created_by="ops", expires_at=AT + timedelta(days=1))
        uow.commit()
    with storage.writing() as uow:
        assert uow.tokens.revoke(first["id"], AT) and not uow.tokens.revoke(first["id"], AT)
        uow.tokens.touch(first["id"], AT, AT - timedelta(minutes=1))
        uow.tokens.touch(first["id"], AT + timedelta(seconds=5), AT - timedelta(seconds=55))
        uow.commit()
    with storage.reading() as uow:
        record, stored = uow.tokens.find(first["id"])
        listed, total = uow.tokens.page(10, 0)
        assert uow.tokens.find(999) is None
    assert stored == "h1" and "secret_hash" not in record
    assert (record["keys"], record["revoked_at"], record["last_used_at"]) == (["lazy_*"], AT, AT)
    assert total == 2 and [t["name"] for t in listed] == ["loader", "other"]


def test_revocations_are_read_after_a_revision_and_forgotten_once_expired(storage):  # noqa: F811
    with storage.writing() as uow:
        assert uow.revocations.head() == 0
        assert uow.revocations.add("jti-1", AT, "ops", AT + timedelta(hours=1))
        assert not uow.revocations.add("jti-1", AT, "ops", None)
        assert uow.revocations.add("lzc_1", AT, "ops", None)
        uow.commit()
    with storage.writing() as uow:
        head = uow.revocations.head()
        assert [t for _, t, _ in uow.revocations.after(0)] == ["jti-1", "lzc_1"]
        assert [t for _, t, _ in uow.revocations.after(head - 1)] == ["lzc_1"]
        uow.revocations.forget_expired(AT + timedelta(hours=2))
        uow.commit()
    with storage.reading() as uow:
        assert [t for _, t, _ in uow.revocations.after(0)] == ["lzc_1"]


def test_the_audit_log_pages_newest_first(storage):  # noqa: F811
    with storage.writing() as uow:
        for n in range(3):
            uow.audit.record(at=AT, actor="ops", action="token.issue", subject=f"lzc_{n}",
                             request_id=f"r{n}", detail={"n": n})
        uow.commit()
    with storage.reading() as uow:
        events, total = uow.audit.page(2, 0)
    assert total == 3 and [e["subject"] for e in events] == ["lzc_2", "lzc_1"]
    assert (events[0]["actor"], events[0]["request_id"], events[0]["detail"]) == (
        "ops", "r2", {"n": 2})
