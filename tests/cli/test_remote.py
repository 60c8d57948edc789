"""What only the remote mode has: the profile file's server and token, the token's user and
role, a refusal, a snapshot pinned through the API, and snapshot lists longer than one API page."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lazyconfig.auth import create_token
from lazyconfig.cli import root
from tests.cli.modes import SECRET, Modes

pytestmark = pytest.mark.slow
PINNED = 103  # more than the API's largest page (100), and kept whatever the retention


def test_through_a_server(modes: Modes, make_engine, tmp_path):
    engine = make_engine(watch=False)
    for number in range(PINNED):
        engine.create_snapshot(f"pinned {number}", user="ops", pinned=True)
    engine.close()
    with modes.serving() as server:
        profile = tmp_path / "xdg" / "lazyconfig" / "config.toml"
        profile.parent.mkdir(parents=True)
        profile.write_text(f'[profiles.here]\nurl = "{server.url}"\n'
                           f'token = "{create_token(SECRET, "dora", "editor", 600)}"\n')
        profile.chmod(0o600)

        def as_dora(*args: str):
            return CliRunner().invoke(root, ["--profile", "here", *args], catch_exceptions=False,
                                      env={"XDG_CONFIG_HOME": str(tmp_path / "xdg"),
                                           "LAZYCONFIG_URL": None, "LAZYCONFIG_TOKEN": None})

        done = as_dora("set", "load_timeout", "12", "-m", "from the profile")
        assert (done.exit_code, done.stdout) == (0, "load_timeout = 12.0 (revision 1)\n")
        assert json.loads(as_dora("get", "load_timeout", "--json").stdout)["updated_by"] == "dora"

        refused = as_dora("reset")  # an editor's token: reset needs an admin
        assert refused.exit_code == 1 and refused.stdout == ""
        assert refused.stderr == "lazyconfig: this needs the admin role; your token has editor\n"

        listed = modes.remote("snapshot", "list", "--limit", "150", "--json")
        assert len(json.loads(listed.stdout)) == PINNED
        assert listed == modes.local("snapshot", "list", "--limit", "150", "--json")
        table = modes.remote("snapshot", "list", "--limit", "150")
        assert table.stderr == f"({PINNED} of {PINNED} snapshots)\n"
        assert table == modes.local("snapshot", "list", "--limit", "150")

        pin = modes.remote("snapshot", "create", "--pin", "-m", "pinned remotely")
        assert pin.exit_code == 0, pin.stderr
        shown = json.loads(modes.local("snapshot", "list", "--limit", "1", "--json").stdout)[0]
        assert (shown["id"], shown["pinned"]) == (int(pin.stdout), True)

        forged = CliRunner().invoke(root, ["--url", server.url, "--token", "not-a-token",
                                           "get", "load_timeout"], catch_exceptions=False,
                                    env={"XDG_CONFIG_HOME": str(tmp_path / "none"),
                                         "LAZYCONFIG_PROFILE": None})
        assert forged.exit_code == 1 and forged.stderr.startswith("lazyconfig: ")
        assert "not-a-token" not in forged.stderr
