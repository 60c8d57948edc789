"""The client's type hints are complete: `mypy --strict` passes on lazyconfig/client. CI runs
the test suite, so this is where CI checks it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_client_package_passes_mypy_strict():
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "lazyconfig/client"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
