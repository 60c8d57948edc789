"""Experiments: create, list, results, conclude (docs/targeting.md)."""
from __future__ import annotations

import json

import click

from .backend import Backend, BadUsage
from .output import echo_json, table
from .root import pass_backend, root
from .values import json_option, key_argument


@root.group()
def experiment() -> None:
    """Experiments: variants of a key's value for shares of the clients.

    \b
    Example:
      lazyconfig experiment create lazy_loading_unloading_strategy \\
        --variant control=BALANCED:0.5 --variant aggressive=AGGRESSIVE:0.5 --metric load_ms
      lazyconfig experiment results 1
      lazyconfig experiment conclude 1 aggressive
    """


def _variant(raw: str) -> dict:
    """NAME=VALUE:WEIGHT; VALUE is JSON when it reads as JSON, else text."""
    name, _, rest = raw.partition("=")
    value, _, weight = rest.rpartition(":")
    try:
        weight_number = float(weight)
    except ValueError:
        raise BadUsage(f"--variant {raw!r}: expected NAME=VALUE:WEIGHT") from None
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return {"name": name, "value": parsed, "weight": weight_number}


@experiment.command()
@key_argument
@click.option("--variant", "variants", multiple=True, required=True,
              help="NAME=VALUE:WEIGHT, once per variant; the first is control")
@click.option("--coverage", type=float, default=1.0, help="share of clients, above 0, at most 1")
@click.option("--layer", default=None, help="experiments of one layer never share a client")
@click.option("--salt", default=None)
@click.option("--metric", "metrics", multiple=True, help="a metric clients may report")
@pass_backend
def create(backend: Backend, key: str, variants, coverage, layer, salt, metrics) -> None:
    """Start an experiment on KEY; prints it as JSON.

    \b
    Example:
      lazyconfig experiment create lazy_loading_unloading_strategy --coverage 0.2 \\
        --variant control=BALANCED:0.5 --variant aggressive=AGGRESSIVE:0.5 --metric load_ms
    """
    echo_json(backend.start_experiment(key, {
        "variants": [_variant(v) for v in variants], "coverage": coverage, "layer": layer,
        "salt": salt, "metrics": list(metrics)}))


@experiment.command("list")
@json_option
@pass_backend
def list_(backend: Backend, as_json: bool) -> None:
    """Experiments, newest first.

    \b
    Example:
      lazyconfig experiment list --json
    """
    found = backend.experiments()
    if as_json:
        echo_json(found)
        return
    table(("id", "key", "status", "variants", "winner"),
          [(e["id"], e["key"], e["status"], ",".join(v["name"] for v in e["variants"]),
            e.get("winner") or "") for e in found])


@experiment.command()
@click.argument("experiment_id", type=int)
@pass_backend
def results(backend: Backend, experiment_id: int) -> None:
    """Exposures and metrics per variant against control, and the sample-ratio check.

    \b
    Example:
      lazyconfig experiment results 1
    """
    echo_json(backend.experiment_results(experiment_id))


@experiment.command()
@click.argument("experiment_id", type=int)
@click.argument("winner")
@pass_backend
def conclude(backend: Backend, experiment_id: int, winner: str) -> None:
    """Make WINNER's value the runtime value and end the experiment.

    \b
    Example:
      lazyconfig experiment conclude 1 aggressive
    """
    echo_json(backend.conclude_experiment(experiment_id, winner))
