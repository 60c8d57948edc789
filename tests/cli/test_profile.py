"""Where the command finds a server: flags, then LAZYCONFIG_URL / LAZYCONFIG_TOKEN, then the
profile file; a profile's token goes only to its own url, a file holding a token must be
private, and no message shows a token."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from lazyconfig.cli import root
from lazyconfig.cli.profile import Remote, resolve
from lazyconfig.settings import Settings
from tests.support.servers import free_port

PROFILE = '''url = "http://main.example:7000"
token = "main-token"

[profiles.staging]
url = "http://staging.example:7000"
token = "staging-token"
'''


@pytest.fixture
def xdg(tmp_path):
    """An XDG config home; write(text, mode) puts the profile file in it."""
    home = tmp_path / "xdg"
    (home / "lazyconfig").mkdir(parents=True)

    def write(text: str, mode: int = 0o600):
        path = home / "lazyconfig" / "config.toml"
        path.write_text(text)
        path.chmod(mode)
        return path
    write.home = str(home)
    return write


def chosen(xdg, **env) -> Remote | None:
    return resolve(Settings.from_env({"XDG_CONFIG_HOME": xdg.home, **env}))


def test_flags_then_environment_then_profile(xdg):
    xdg(PROFILE)
    assert chosen(xdg) == Remote("http://main.example:7000", "main-token")
    assert chosen(xdg, LAZYCONFIG_PROFILE="staging") == \
        Remote("http://staging.example:7000", "staging-token")
    assert chosen(xdg, LAZYCONFIG_TOKEN="env-token").token == "env-token"
    flagged = resolve(Settings.from_env({"XDG_CONFIG_HOME": xdg.home,
                                         "LAZYCONFIG_URL": "http://env.example:7000"},
                                        url="http://flag.example:7000", token="flag-token"))
    assert flagged == Remote("http://flag.example:7000", "flag-token")


def test_a_profile_token_goes_only_to_its_own_url(xdg):
    xdg(PROFILE)
    with pytest.raises(ValueError, match="no token for http://other.example:7000") as refused:
        chosen(xdg, LAZYCONFIG_URL="http://other.example:7000")
    assert "main-token" not in str(refused.value)
    xdg('token = "any-server-token"\n')  # a profile without a url lends its token to any
    assert chosen(xdg, LAZYCONFIG_URL="http://other.example:7000").token == "any-server-token"


def test_no_url_anywhere_means_the_database(xdg):
    assert chosen(xdg) is None
    xdg('[profiles.staging]\nurl = "http://staging.example:7000"\n')
    assert chosen(xdg) is None


def run(xdg, *args: str, **env: str):
    environment = {"XDG_CONFIG_HOME": xdg.home, "LAZYCONFIG_URL": None,
                   "LAZYCONFIG_TOKEN": None, "LAZYCONFIG_PROFILE": None, **env}
    return CliRunner().invoke(root, list(args), env=environment, catch_exceptions=False)


@pytest.mark.parametrize("text,mode,words", [
    (PROFILE, 0o644, "holds a token and others may read it: chmod 600"),
    ("url = 'http://x.example'\ntoken = [1]\n", 0o600, "token must be a string"),
    ("url = 'http://x.example'\ntokn = 'x'\n", 0o600, "unknown tokn in the top level"),
    ("url = http://x.example\n", 0o600, "not a TOML file"),
])
def test_an_unusable_profile_file_is_refused_in_one_line(xdg, text, mode, words):
    path = xdg(text, mode)
    done = run(xdg, "get", "load_timeout")
    assert done.exit_code == 2
    assert done.stderr.startswith(f"lazyconfig: {path}") and words in done.stderr
    assert done.stderr.count("\n") == 1 and "main-token" not in done.stderr


def test_a_url_only_profile_may_be_readable_by_anyone(xdg, tmp_path):
    xdg(f'url = "http://127.0.0.1:{free_port()}"\n', 0o644)
    done = run(xdg, "get", "load_timeout")
    assert done.exit_code == 2 and "no token for http://127.0.0.1:" in done.stderr


def test_an_unknown_profile_names_the_known_ones(xdg):
    xdg(PROFILE)
    done = run(xdg, "--profile", "prod", "get", "load_timeout")
    assert done.exit_code == 2
    assert "no profile 'prod'" in done.stderr and "(profiles: staging)" in done.stderr


def test_remote_mode_refuses_what_only_a_database_can_do(xdg):
    url = f"http://127.0.0.1:{free_port()}"
    as_user = run(xdg, "--url", url, "--token", "t", "--user", "bob", "get", "load_timeout")
    assert as_user.exit_code == 2 and "the token's user" in as_user.stderr
    both = run(xdg, "--url", url, "--database-url", "sqlite://", "get", "load_timeout")
    assert both.exit_code == 2 and "give one" in both.stderr


def test_an_unreachable_server_is_one_line_without_the_token(xdg):
    port = free_port()
    done = run(xdg, "--url", f"http://127.0.0.1:{port}", "--token", "s3cret-token",
               "get", "load_timeout")
    assert done.exit_code == 1 and done.stdout == ""
    assert done.stderr.startswith(f"lazyconfig: cannot reach 127.0.0.1:{port}")
    assert "s3cret-token" not in done.stderr and done.stderr.count("\n") == 1


def test_a_database_url_flag_works_on_the_database_despite_a_profile(xdg, engine_env):
    xdg(PROFILE)  # names a server that does not exist
    done = run(xdg, "--database-url", engine_env["LAZYCONFIG_DATABASE_URL"], "get",
               "load_timeout", **engine_env)
    assert (done.exit_code, done.stdout) == (0, "30.0\n")
