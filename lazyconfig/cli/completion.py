"""`completion bash|zsh|fish`: the shell script of Click's own completion, for this command."""
from __future__ import annotations

import click

from .root import root

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VARIABLE = "_LAZYCONFIG_COMPLETE"  # Click's name for it: _<PROG>_COMPLETE


@root.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL; load it from your shell's start-up file.
    (`_LAZYCONFIG_COMPLETE=bash_source lazyconfig` prints the same.)

    \b
    Example:
      eval "$(lazyconfig completion bash)"       # in ~/.bashrc
      lazyconfig completion fish > ~/.config/fish/completions/lazyconfig.fish
    """
    from click.shell_completion import get_completion_class

    script = get_completion_class(shell)(root, {}, "lazyconfig", COMPLETE_VARIABLE)
    click.echo(script.source())
