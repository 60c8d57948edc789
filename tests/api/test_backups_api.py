"""The backups API (admin only): take a backup into the server's directory, list it with its
manifest, verify it (and see a damaged one fail), and find the newest in /status."""
from __future__ import annotations

from pathlib import Path

from .conftest import PREFIX

KEY = "load_timeout"


def test_take_list_and_verify_a_backup(client, engine, admin, viewer):
    engine.set(KEY, 42.0, user="alice")
    taken = client.post(f"{PREFIX}/backups", headers=admin)
    assert taken.status_code == 201, taken.json
    backup = taken.json
    assert backup["created_by"] == "admin-user" and backup["revision"] == engine.revision
    assert backup["tables"]["changes"] == 1 and backup["tables"]["config_values"] == 1
    assert Path(backup["file"]).parent == engine.backup_dir and Path(backup["file"]).is_file()

    listed = client.get(f"{PREFIX}/backups", headers=admin).json["backups"]
    assert [b["id"] for b in listed] == [backup["id"]]
    assert listed[0]["state_sha256"] == backup["state_sha256"]

    verified = client.post(f"{PREFIX}/backups/{backup['id']}/verify", headers=admin)
    assert verified.status_code == 200 and verified.json["valid"] is True

    status = client.get(f"{PREFIX}/status", headers=viewer).json
    assert status["last_backup"]["id"] == backup["id"]


def test_a_damaged_backup_is_reported_invalid_and_an_unknown_one_is_404(client, engine, admin):
    backup = client.post(f"{PREFIX}/backups", headers=admin).json
    path = Path(backup["file"])
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x20
    path.write_bytes(bytes(data))
    verified = client.post(f"{PREFIX}/backups/{backup['id']}/verify", headers=admin).json
    assert verified["valid"] is False and "checksum" in verified["problem"]
    # a listing reads only the manifest: damage there shows, damage in the content needs verify
    assert "problem" not in client.get(f"{PREFIX}/backups", headers=admin).json["backups"][0]
    data[-120] ^= 0x01
    path.write_bytes(bytes(data))
    listed = client.get(f"{PREFIX}/backups", headers=admin).json["backups"]
    assert "checksum" in listed[0]["problem"] and "state_sha256" not in listed[0]
    for unknown in ("lazyconfig-20200101T000000000000Z", "..%2F..%2Fetc%2Fpasswd", "x"):
        answer = client.post(f"{PREFIX}/backups/{unknown}/verify", headers=admin)
        assert answer.status_code == 404, unknown
        assert answer.json["message"]


def test_retention_keeps_the_newest_backups(client, make_engine, admin):
    from lazyconfig import create_app
    from .conftest import SECRET

    engine = make_engine({"LAZYCONFIG_BACKUP_KEEP": "2"})
    client = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET,
                         "TESTING": True}).test_client()
    ids = [client.post(f"{PREFIX}/backups", headers=admin).json["id"] for _ in range(3)]
    listed = [b["id"] for b in client.get(f"{PREFIX}/backups", headers=admin).json["backups"]]
    assert listed == ids[:0:-1]  # the newest two, newest first
    assert len(list(engine.backup_dir.iterdir())) == 2


def test_no_backup_yet_shows_as_null_in_status(client, viewer):
    assert client.get(f"{PREFIX}/status", headers=viewer).json["last_backup"] is None
