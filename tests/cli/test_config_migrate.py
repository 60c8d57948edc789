"""`lazyconfig config migrate`: this release's steps (monkeypatched here: the release has
none yet), dry run first, then applied once."""
from __future__ import annotations

from lazyconfig.domain import key_migrations
from lazyconfig.domain.key_migrations import Transform


def test_config_migrate_dry_run_then_once(cli, make_engine, monkeypatch):
    assert cli("config", "migrate").stdout == "no pending config-migration steps\n"
    make_engine().set("load_timeout", 12.0)
    monkeypatch.setattr(key_migrations, "RELEASE_STEPS", (
        Transform("test-double-timeout", key="load_timeout", converter="scale",
                  args={"factor": 2}),))
    dry = cli("config", "migrate", "--dry-run")
    assert dry.exit_code == 0 and "would apply: test-double-timeout" in dry.stdout
    assert make_engine(key_migrations=()).get("load_timeout") == 12.0
    done = cli("config", "migrate")
    assert done.exit_code == 0 and "applied: test-double-timeout" in done.stdout
    assert "24.0" in done.stdout
    again = cli("config", "migrate")
    assert again.stdout == "no pending config-migration steps\n"
    engine = make_engine(key_migrations=())
    assert engine.get("load_timeout") == 24.0
    assert engine.get_notifications(1)[0]["action"] == "migrate"
    assert engine.get_notifications(1)[0]["user"] == "ops"
