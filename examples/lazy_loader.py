"""A stand-in for the lazy loader: every cycle it reads its settings (a memory read) and acts
on them, so a change made over the API shows in its very next lines.

Run it with the venv's Python from the repository root (`bash scripts/serve.sh` makes
.venv and the embedded database). In the same process as the engine (reads the configured
database, ./instance/lazyconfig.db by default):
    .venv/bin/python examples/lazy_loader.py
As a remote service, through LiveConfig (a local copy kept current by the change stream):
    .venv/bin/python examples/lazy_loader.py --url http://127.0.0.1:7000 --token "$TOKEN"
Then, from another shell:
    curl -X PUT http://127.0.0.1:7000/api/lazy-loading-config/values/lazy_loading_unloading_strategy \\
      -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
      -d '{"value": "AGGRESSIVE"}'
"""
from __future__ import annotations

import argparse
import os
import time
from typing import Any, Callable

INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"
ENABLED = "lazy_loading_unloading_enabled"
MAX_UNLOADS = "lazy_loading_unloading_max_unloads_per_cycle"
IDLE_TIMEOUT = {"AGGRESSIVE": "lazy_loading_unloading_aggressive_timeout",
                "BALANCED": "lazy_loading_unloading_balanced_timeout",
                "CONSERVATIVE": "lazy_loading_unloading_conservative_timeout"}
Reader = Callable[[str], Any]


def one_cycle(get: Reader, cycle: int) -> str:
    """What the loader does this cycle, decided from the settings as they are now."""
    if not get(ENABLED):
        return f"cycle {cycle}: unloading disabled; next check in {get(INTERVAL):g}s"
    strategy = get(STRATEGY)
    return (f"cycle {cycle}: {strategy}: unload packages idle for more than "
            f"{get(IDLE_TIMEOUT[strategy]):g}s, at most {get(MAX_UNLOADS)} per cycle; "
            f"next check in {get(INTERVAL):g}s")


def wait_interval(get: Reader) -> None:
    """Sleep for the check interval, re-reading it as we go: a shorter interval set while
    we wait takes effect at once instead of after the old, longer one."""
    started = time.monotonic()
    while (remaining := get(INTERVAL) - (time.monotonic() - started)) > 0:
        time.sleep(min(remaining, 0.05))


def run(get: Reader, cycles: int) -> None:
    cycle = 0
    while True:
        cycle += 1
        print(one_cycle(get, cycle), flush=True)
        if cycle == cycles:
            return
        wait_interval(get)


def open_reader(url: str | None, token: str | None) -> tuple[Reader, Callable[[], None]]:
    if url:
        from lazyconfig.client import ConfigClient, LiveConfig
        live = LiveConfig(ConfigClient(url, token or "")).start()
        return live.get, live.close
    from lazyconfig import get_configuration_engine
    engine = get_configuration_engine()
    return engine.get, engine.close


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a lazyconfig server (default: the engine, in process)")
    parser.add_argument("--token", default=os.environ.get("TOKEN"),
                        help="Bearer token for --url (default: $TOKEN)")
    parser.add_argument("--cycles", type=int, default=0, help="stop after N cycles (0: never)")
    args = parser.parse_args()
    get, close = open_reader(args.url, args.token)
    try:
        run(get, args.cycles)
    except KeyboardInterrupt:
        pass
    finally:
        close()


if __name__ == "__main__":
    main()
