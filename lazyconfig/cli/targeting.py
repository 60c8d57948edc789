"""What decides a value for a context: explain (docs/targeting.md)."""
from __future__ import annotations

import click

from .backend import Backend
from .output import echo_json
from .root import pass_backend, root
from .values import json_option, key_argument


@root.command()
@key_argument
@click.option("--context", default="{}", help='the caller\'s context as JSON, such as '
                                               '\'{"cluster": "eu-1"}\'')
@json_option
@pass_backend
def explain(backend: Backend, key: str, context: str, as_json: bool) -> None:
    """Print KEY's value for a context, and the layer, rule or experiment that decided it.

    \b
    Example:
      lazyconfig explain lazy_loading_unloading_check_interval --context '{"cluster": "eu-1"}'
    """
    from ..domain.targeting import parse_context
    found = backend.explain(key, parse_context(context))
    if as_json:
        echo_json(found)
        return
    by = {"targeting": f"targeting rule {found['rule']}",
          "experiment": f"experiment {found['experiment']}, variant {found['variant']}"}
    click.echo(f"{key} = {found['value']!r}  ({by.get(found['layer'], found['layer'] + ' layer')})")
