"""Every command's --help shows an example, and the shells complete commands and keys with
Click's own completion."""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from lazyconfig.cli import root

pytestmark = pytest.mark.database_independent


def commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield path + (name,)
        if isinstance(command, click.Group):
            yield from commands(command, path + (name,))


ALL = list(commands(root))


def test_the_new_commands_are_there():
    assert {("watch",), ("revert",), ("status",), ("rules", "list"), ("rules", "show"),
            ("rules", "set"), ("completion",)} <= set(ALL)


@pytest.mark.parametrize("path", [()] + ALL, ids=lambda p: " ".join(p) or "lazyconfig")
def test_every_help_shows_an_example(path):
    done = CliRunner().invoke(root, [*path, "--help"])
    assert done.exit_code == 0
    example = done.stdout.split("Example:\n", 1)[1]
    assert example.lstrip().startswith("lazyconfig ") or "lazyconfig " in example.split("\n")[0]


def complete(words: str, shell: str = "bash") -> str:
    """What the shell would be offered for `words` (the last one being completed)."""
    parts = words.split(" ")
    env = {"_LAZYCONFIG_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(parts) - 1)}
    return CliRunner().invoke(root, [], env=env, prog_name="lazyconfig").stdout


def test_bash_completes_commands_and_keys():
    assert "plain,snapshot" in complete("lazyconfig sn").splitlines()
    offered = complete("lazyconfig get lazy_loading_unloading_ch").splitlines()
    assert offered == ["plain,lazy_loading_unloading_check_interval"]
    assert "plain,show" in complete("lazyconfig rules s").splitlines()


@pytest.mark.parametrize("shell,marker", [("bash", "complete -o nosort -F"),
                                          ("zsh", "#compdef lazyconfig"),
                                          ("fish", "complete --no-files --command lazyconfig")])
def test_completion_prints_the_script_for_each_shell(shell, marker):
    done = CliRunner().invoke(root, ["completion", shell])
    assert done.exit_code == 0
    assert marker in done.stdout and "_LAZYCONFIG_COMPLETE" in done.stdout
