"""The client's type hints are complete: `mypy --strict` passes on lazyconfig/client, and a
caller's code sees each record's field types (not Any). CI runs the test suite, so this is
where CI checks them."""
from __future__ import annotations

import pytest

import subprocess
import sys
from pathlib import Path

pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]
CALLER = '''
from lazyconfig.client import ConfigClient, LiveConfig


def newest(client: ConfigClient) -> int:
    entry, page = client.entry("load_timeout"), client.history("load_timeout")
    return max(entry.version, page.history[0].revision, client.status().revision)


def follow(config: LiveConfig) -> None:
    config.subscribe(lambda change: print(change.key.upper(), change.revision + 1))


def mistaken(client: ConfigClient) -> str:
    return client.snapshots().snapshots[0].id
'''


def mypy_strict(*paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", *paths], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_client_package_passes_mypy_strict():
    done = mypy_strict("lazyconfig/client")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_callers_code_is_checked_against_the_records_types(tmp_path):
    caller = tmp_path / "caller.py"
    caller.write_text(CALLER)
    # A cache of its own: mypy would otherwise answer from an earlier run's `caller` module.
    done = mypy_strict(str(caller), f"--cache-dir={tmp_path / 'cache'}")
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    mistake = next(number for number, line in enumerate(CALLER.splitlines(), 1)
                   if "snapshots[0].id" in line)
    assert errors == [f'{caller}:{mistake}: error: Incompatible return value type (got "int", '
                      f'expected "str")  [return-value]'], done.stdout + done.stderr
