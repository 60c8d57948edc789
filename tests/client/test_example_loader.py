"""The example loader, run as a real process against the server, changes what it does as
soon as its settings change over the API."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.ops.live_server import eventually

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lazy_loader.py"


def test_the_loop_follows_strategy_and_interval_changes(server, client_as):
    editor = client_as("editor")
    editor.update({"lazy_loading_unloading_check_interval": 0.2,
                   "lazy_loading_unloading_strategy": "BALANCED"})
    command = [sys.executable, str(EXAMPLE), "--url", server.url, "--token",
               server.token("loader", "viewer"), "--cycles", "400"]
    lines: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as loader:
        reader = threading.Thread(target=lambda: lines.extend(loader.stdout), daemon=True)
        reader.start()
        try:
            assert eventually(lambda: any("BALANCED" in line for line in lines))
            editor.update({"lazy_loading_unloading_strategy": "AGGRESSIVE",
                           "lazy_loading_unloading_check_interval": 0.1})
            assert eventually(lambda: any(
                "AGGRESSIVE: unload packages idle for more than 300s" in line
                and "next check in 0.1s" in line for line in lines))
            editor.set("lazy_loading_unloading_enabled", False)
            assert eventually(lambda: any("unloading disabled" in line for line in lines))
        finally:
            loader.kill()
            reader.join(timeout=10)
    assert not any("Traceback" in line for line in lines)
