"""A private etcd on loopback, for the baselines: its HTTP/JSON gateway (v3 API) is what a
configuration read or write costs in a dedicated key-value store. Started on free ports
with a temporary data directory; stopped, and the directory removed, on exit."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.support.servers import free_port

from .loadgen import Target

BINARY = "etcd"
KEY = "lazy_loading_unloading_check_interval"
START_TIMEOUT = 20.0


def available() -> bool:
    return shutil.which(BINARY) is not None


def version() -> str | None:
    if not available():
        return None
    out = subprocess.run([BINARY, "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0].strip() if out else None


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Etcd:
    def __init__(self, url: str):
        self.url = url

    def call(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(f"{self.url}{path}", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def range_target(self) -> Target:
        return Target(f"{self.url}/v3/kv/range", "POST", body=json.dumps({"key": _b64(KEY)}))

    def put_target(self) -> Target:
        # Every put is a new revision in etcd, so a constant value is still a real write.
        return Target(f"{self.url}/v3/kv/put", "POST",
                      body=json.dumps({"key": _b64(KEY), "value": _b64("30.0")}))


@contextmanager
def running(workdir: Path) -> Iterator[Etcd]:
    """A one-member etcd cluster on free loopback ports, with KEY set."""
    client, peer = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="etcd-", dir=workdir)
    command = [BINARY, "--name", "bench", "--data-dir", data,
               "--listen-client-urls", f"http://127.0.0.1:{client}",
               "--advertise-client-urls", f"http://127.0.0.1:{client}",
               "--listen-peer-urls", f"http://127.0.0.1:{peer}",
               "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
               "--initial-cluster", f"bench=http://127.0.0.1:{peer}",
               "--logger", "zap", "--log-level", "error"]
    log_path = Path(workdir) / "etcd.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        store = Etcd(f"http://127.0.0.1:{client}")
        _wait_until_up(store, process, log_path)
        store.call("/v3/kv/put", {"key": _b64(KEY), "value": _b64("60.0")})
        yield store
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(data, ignore_errors=True)


def _wait_until_up(store: Etcd, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"etcd exited with {process.returncode}:\n"
                               f"{log_path.read_text(errors='replace')}")
        try:
            store.call("/v3/kv/range", {"key": _b64(KEY)})
            return
        except OSError:  # not listening yet, or no leader elected yet
            time.sleep(0.1)
    raise RuntimeError(f"etcd did not answer within {START_TIMEOUT}s")
