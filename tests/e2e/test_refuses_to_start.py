"""gunicorn refuses to start in production without a proper signing secret."""
from __future__ import annotations

import subprocess

import pytest

from tests.support.servers import GunicornServer, server_env

pytestmark = pytest.mark.slow


def test_production_without_a_secret_does_not_start(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'lazyconfig.db'}", tmp_path / "instance", "")
    env.pop("LAZYCONFIG_JWT_SECRET")
    env["LAZYCONFIG_ENV"] = "production"
    gunicorn = GunicornServer(env, tmp_path / "gunicorn.log")
    done = subprocess.run(gunicorn.command(), env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "refusing to start" in done.stderr and "at least 32 bytes" in done.stderr
    assert not (tmp_path / "instance" / "jwt-secret").exists()


def test_an_unusable_setting_is_one_line_naming_it(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'lazyconfig.db'}", tmp_path / "instance", "s" * 40)
    env["LAZYCONFIG_MAX_BODY_BYTES"] = "1MiB"
    gunicorn = GunicornServer(env, tmp_path / "gunicorn.log")
    done = subprocess.run(gunicorn.command(), env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert ("lazyconfig: refusing to start: LAZYCONFIG_MAX_BODY_BYTES must be a whole number "
            "of bytes, 1 or more, not '1MiB'") in done.stderr
