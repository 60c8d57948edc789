"""Settings from defaults, then LAZYCONFIG_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

PREFIX = "LAZYCONFIG_"
# Names under the prefix that configure the service itself, never a configuration key.
SETTING_NAMES = frozenset({
    "DATABASE_URL", "INSTANCE_PATH", "CONFIG_FILE", "SNAPSHOT_MAX_COUNT",
    "SNAPSHOT_MAX_AGE_DAYS", "POLL_INTERVAL", "AUTO_MIGRATE", "JWT_SECRET", "ENV",
    "TEST_DATABASE_URL", "MAX_BODY_BYTES", "LOG_LEVEL", "LOG_FORMAT", "TOKEN_TTL", "RUN_DIR",
})


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(PREFIX + name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    database_url: str
    instance_path: Path
    config_file: str | None = None
    snapshot_max_count: int = 100
    snapshot_max_age_days: int = 30
    poll_interval: float = 0.2
    auto_migrate: bool = True
    run_dir: Path | None = None  # where this host's processes share a head (host_head.py)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        instance = Path(env.get(PREFIX + "INSTANCE_PATH") or Path.cwd() / "instance")
        url = env.get(PREFIX + "DATABASE_URL") or f"sqlite:///{instance / 'lazyconfig.db'}"
        values = dict(
            database_url=url,
            instance_path=instance,
            config_file=env.get(PREFIX + "CONFIG_FILE") or None,
            snapshot_max_count=_int(env, "SNAPSHOT_MAX_COUNT", 100),
            snapshot_max_age_days=_int(env, "SNAPSHOT_MAX_AGE_DAYS", 30),
            poll_interval=float(env.get(PREFIX + "POLL_INTERVAL") or 0.2),
            auto_migrate=(env.get(PREFIX + "AUTO_MIGRATE", "1").lower() not in ("0", "false", "no")),
            run_dir=Path(env[PREFIX + "RUN_DIR"]) if env.get(PREFIX + "RUN_DIR") else None,
        )
        values.update(overrides)
        return cls(**values)
