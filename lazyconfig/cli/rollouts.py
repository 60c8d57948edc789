"""Gradual rollouts: start, status, pause, resume, abort (docs/targeting.md)."""
from __future__ import annotations

import json

import click

from .backend import Backend, BadUsage
from .output import echo_json
from .root import pass_backend, root


@root.group()
def rollout() -> None:
    """Gradual rollouts: new values for a growing share of the clients, rolled back by a
    breached health rule.

    \b
    Example:
      lazyconfig rollout start --change cache_size_limit=209715200 \\
        --step 10:600 --step 50:600 --step 100:0 --health "load_ms < 500 300 50"
      lazyconfig rollout status 1
      lazyconfig rollout abort 1
    """


def _change(raw: str) -> tuple[str, object]:
    """KEY=VALUE; VALUE is JSON when it reads as JSON, else text."""
    key, sign, value = raw.partition("=")
    if not sign or not key:
        raise BadUsage(f"--change {raw!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadUsage(f"{option}: {text!r} is not a number") from None


def _step(raw: str) -> dict:
    percent, _, hold = raw.partition(":")
    return {"percent": _number(percent, "--step PERCENT:HOLD_S"),
            "hold_s": _number(hold or "0", "--step PERCENT:HOLD_S")}


def _health(raw: str) -> dict:
    """"METRIC OP THRESHOLD [WINDOW_S [MIN_SAMPLES]]"."""
    words = raw.split()
    if not 3 <= len(words) <= 5:
        raise BadUsage(f"--health {raw!r}: expected 'METRIC OP THRESHOLD [WINDOW_S [MIN]]'")
    rule = {"metric": words[0], "op": words[1], "threshold": _number(words[2], "--health")}
    if len(words) > 3:
        rule["window_s"] = _number(words[3], "--health WINDOW_S")
    if len(words) > 4:
        rule["min_samples"] = int(_number(words[4], "--health MIN_SAMPLES"))
    return rule


@rollout.command()
@click.option("--change", "changes", multiple=True, required=True, help="KEY=VALUE, once a key")
@click.option("--step", "steps", multiple=True, required=True,
              help="PERCENT:HOLD_S, in order; the last percent is 100")
@click.option("--health", "health", multiple=True,
              help='"METRIC OP THRESHOLD [WINDOW_S [MIN_SAMPLES]]", OP one of < <= > >=')
@click.option("--on-breach", type=click.Choice(["rollback", "pause"]), default="rollback")
@click.option("--unit", default="client_id", help="the context attribute clients split by")
@pass_backend
def start(backend: Backend, changes, steps, health, on_breach, unit) -> None:
    """Start a rollout; prints it as JSON.

    \b
    Example:
      lazyconfig rollout start --change cache_size_limit=209715200 \\
        --step 10:600 --step 100:0 --health "load_ms < 500 300 50"
    """
    echo_json(backend.start_rollout({
        "changes": dict(map(_change, changes)), "steps": [_step(s) for s in steps],
        "health": [_health(h) for h in health], "on_breach": on_breach, "unit": unit}))


@rollout.command()
@click.argument("rollout_id", type=int)
@pass_backend
def status(backend: Backend, rollout_id: int) -> None:
    """Status, step, percent, next step time and health of a rollout.

    \b
    Example:
      lazyconfig rollout status 1
    """
    echo_json(backend.rollout(rollout_id))


def _control(action: str, summary: str) -> None:
    @rollout.command(action, help=f"{summary}\n\n\b\nExample:\n  lazyconfig rollout {action} 1")
    @click.argument("rollout_id", type=int)
    @pass_backend
    def command(backend: Backend, rollout_id: int) -> None:
        echo_json(backend.control_rollout(rollout_id, action))


_control("pause", "Stop a running rollout at its step; its cohort keeps the new values.")
_control("resume", "Go on from the paused step.")
_control("abort", "Roll every cohort back to the old values (logged as `rollback`).")
