"""Backups from a shell: create to a file, verify it (and a damaged copy), restore it into an
empty database, and a restore over existing configuration refused unless --force."""
from __future__ import annotations

import json

from lazyconfig.service import backups
from lazyconfig.db.connection import make_engine as make_database

KEY = "load_timeout"


def test_create_verify_and_restore_from_the_command_line(cli, tmp_path, engine_env):
    cli("set", KEY, "12")
    path = tmp_path / "before.lcbackup"
    created = cli("backup", "create", "-o", path, user="alice")
    assert created.exit_code == 0, created.stderr
    manifest = json.loads(created.stdout)
    assert manifest["created_by"] == "alice" and manifest["revision"] == 1

    verified = cli("backup", "verify", path)
    assert verified.exit_code == 0 and manifest["state_sha256"] in verified.stdout
    damaged = tmp_path / "damaged.lcbackup"
    data = bytearray(path.read_bytes())
    data[40] ^= 0x04
    damaged.write_bytes(bytes(data))
    refused = cli("backup", "verify", damaged)
    assert refused.exit_code == 1 and "checksum" in refused.stderr

    cli("set", KEY, "30")  # the database now differs from the backup
    over = cli("backup", "restore", path)
    assert over.exit_code == 1 and "--force" in over.stderr
    assert "30.0" in cli("get", KEY).stdout
    forced = cli("backup", "restore", path, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "12.0" in cli("get", KEY).stdout

    empty = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = cli("--database-url", empty, "backup", "restore", path)
    assert fresh.exit_code == 0, fresh.stderr
    database = make_database(empty)
    assert backups.state_hash(database) == manifest["state_sha256"]
    database.dispose()
