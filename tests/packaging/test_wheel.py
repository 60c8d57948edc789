"""An installable wheel: built from the package's own files, installed (not editable) into a
fresh virtual environment and run from a folder outside the checkout, it migrates and serves
with nothing imported from the source tree.

Its database part runs on SQLite in both CI runs, also when LAZYCONFIG_TEST_DATABASE_URL
names PostgreSQL: what it checks is the packaging (the migrations found as a package
resource, the server started from the installed package), which no database changes.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from lazyconfig.db import migrate
from tests.support.servers import ROOT, GunicornServer, ServerError, server_env

pytestmark = [pytest.mark.slow, pytest.mark.database_independent]

SECRET = "wheel-test-signing-secret-long-enough-0123456789"
MIGRATIONS = "lazyconfig/db/migrations"
VERSIONS = ("0001_initial_schema.py", "0002_notify_on_change.py", "0003_hosts.py")
KEY, DEFAULT = "max_concurrent_loads", 4  # lazyconfig/domain/catalog.py
INSTALL_TIMEOUT = 300  # pip may resolve the dependencies from an index on a cold cache


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _build_wheel(workdir: Path) -> Path:
    """`pip wheel` of a copy holding only what the build reads: a stale build/ or egg-info
    in the checkout cannot leak into the wheel, and the checkout is left untouched."""
    source = workdir / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "lazyconfig", source / "lazyconfig",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
          str(workdir / "dist"), str(source)], timeout=INSTALL_TIMEOUT)
    (wheel,) = (workdir / "dist").glob("lazyconfig-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return _build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel and its dependencies installed. This
    suite's pip installs into it (`--python`), so the venv needs no pip of its own."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=60)
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
          "--quiet", str(wheel)], timeout=INSTALL_TIMEOUT)
    return venv


def _outside_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The server's environment with no path back into the checkout."""
    env = server_env(database_url, workdir / "instance", SECRET)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(name, None)
    return env


class InstalledServer(GunicornServer):
    """`lazyconfig serve` of the installed package, started in `workdir`."""

    def __init__(self, venv: Path, env: dict[str, str], workdir: Path):
        super().__init__(env, workdir / "serve.log", workers=1, cwd=workdir)
        self.venv = venv

    def command(self) -> list[str]:
        return [str(self.venv / "bin" / "lazyconfig"), "serve", "--bind",
                f"127.0.0.1:{self.port}", "--workers", str(self.workers)]


def test_the_wheel_ships_the_migrations_and_not_the_test_harness(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for version in VERSIONS:
        assert f"{MIGRATIONS}/versions/{version}" in names
    assert {f"{MIGRATIONS}/env.py", f"{MIGRATIONS}/script.py.mako"} <= names
    assert {"lazyconfig/gunicorn_conf.py", "lazyconfig/wsgi.py"} <= names
    assert "lazyconfig/testing.py" not in names
    assert not any(name.startswith(("tests/", "bench/", "migrations/")) for name in names)


def test_the_installed_package_is_the_one_imported(venv, tmp_path):
    code = "import lazyconfig, pathlib; print(pathlib.Path(lazyconfig.__file__).parent)"
    done = _run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path,
                env=_outside_env("sqlite://", tmp_path), timeout=60)
    package = Path(done.stdout.strip())
    assert package.is_relative_to(venv) and not package.is_relative_to(ROOT)
    assert {p.name for p in (package / "db" / "migrations" / "versions").glob("*.py")} \
        >= set(VERSIONS)
    assert not (package / "testing.py").exists()


def test_the_installed_package_migrates_and_serves(venv, tmp_path):
    database = tmp_path / "lazyconfig.db"
    env = _outside_env(f"sqlite:///{database}", tmp_path)
    lazyconfig = str(venv / "bin" / "lazyconfig")
    upgraded = _run([lazyconfig, "db", "upgrade"], cwd=tmp_path, env=env, timeout=60)
    assert "schema upgraded to head" in upgraded.stdout and database.exists()
    current = _run([lazyconfig, "db", "current"], cwd=tmp_path, env=env, timeout=60)
    lines = current.stdout.splitlines()  # `current: REV` then `head: REV`; exit 0: equal
    assert lines[0].split()[1] == lines[1].split()[1] == migrate.head_revision()
    token = _run([lazyconfig, "token", "create", "--user", "wheel", "--role", "viewer"],
                 cwd=tmp_path, env=env, timeout=60).stdout.strip()
    server = InstalledServer(venv, env, tmp_path)
    try:
        server.start()
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        answer = requests.get(f"{server.url}/api/lazy-loading-config/values/{KEY}",
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
    finally:
        server.stop()
    assert answer.status_code == 200, answer.text
    assert (answer.json()["key"], answer.json()["value"]) == (KEY, DEFAULT)
    assert "Traceback" not in server.log()
