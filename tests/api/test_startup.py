"""Start-up: where the signing secret comes from, when the server refuses to start, and
`lazyconfig token create`."""
from __future__ import annotations

import jwt
import pytest

from lazyconfig import create_app
from lazyconfig.auth import SecretError, resolve_secret
from lazyconfig.cli import main, startup_notice
from lazyconfig.service.bootstrap import close_configuration_engines
from lazyconfig.settings import Settings

from .conftest import PREFIX

SQLITE = "sqlite:///x.db"
POSTGRES = "postgresql+psycopg://db/lazyconfig"
LONG = "s" * 32


def settings(env: dict[str, str], url: str, instance) -> Settings:
    return Settings.from_env({**env, "LAZYCONFIG_DATABASE_URL": url,
                              "LAZYCONFIG_INSTANCE_PATH": str(instance)})


@pytest.mark.parametrize("env,url", [({}, POSTGRES), ({"LAZYCONFIG_ENV": "production"}, SQLITE),
                                     ({"LAZYCONFIG_JWT_SECRET": "short"}, POSTGRES)])
def test_refuses_without_a_strong_secret_on_postgres_or_in_production(tmp_path, env, url):
    with pytest.raises(SecretError, match="at least 32 bytes"):
        resolve_secret(settings(env, url, tmp_path))
    assert not (tmp_path / "jwt-secret").exists()


def test_a_configured_secret_is_used_as_is(tmp_path):
    long, dev = {"LAZYCONFIG_JWT_SECRET": LONG}, {"LAZYCONFIG_JWT_SECRET": "dev"}
    assert resolve_secret(settings(long, POSTGRES, tmp_path)).value == LONG
    assert resolve_secret(settings(dev, SQLITE, tmp_path)).value == "dev"


def test_embedded_default_generates_one_secret_and_keeps_it(tmp_path):
    first = resolve_secret(settings({}, SQLITE, tmp_path))
    assert first.generated_at == tmp_path / "jwt-secret"
    assert len(first.value) >= 32
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0
    assert resolve_secret(settings({}, SQLITE, tmp_path)).value == first.value


def test_create_app_refuses_to_start_in_production_without_a_secret(engine, monkeypatch):
    monkeypatch.delenv("LAZYCONFIG_JWT_SECRET", raising=False)
    with pytest.raises(SecretError):
        create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_ENV": "production"})


@pytest.fixture
def embedded(engine_env, monkeypatch):
    """The process environment of a server on the embedded default with no secret set."""
    monkeypatch.delenv("LAZYCONFIG_JWT_SECRET", raising=False)
    monkeypatch.delenv("LAZYCONFIG_ENV", raising=False)
    for name, value in engine_env.items():
        monkeypatch.setenv(name, value)
    yield
    close_configuration_engines()


@pytest.mark.usefixtures("embedded")
def test_cli_token_works_against_a_server_with_a_generated_secret(capsys, postgres_url):
    if postgres_url:
        pytest.skip("the generated secret is only for the embedded SQLite default")
    client = create_app().test_client()  # builds its engine from the environment
    assert main(["token", "create", "--user", "carol", "--role", "editor",
                 "--expires-in", "120"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"]) == ("carol", "editor")
    assert claims["exp"] - claims["iat"] == 120
    headers = {"Authorization": f"Bearer {token}"}
    response = client.put(f"{PREFIX}/values/load_timeout", json={"value": 5.0}, headers=headers)
    assert response.status_code == 200 and response.json["updated_by"] == "carol"

    startup_notice()
    notice = capsys.readouterr().out
    admin_token = notice.split("export TOKEN=")[1].split()[0]
    status = client.get(f"{PREFIX}/status", headers={"Authorization": f"Bearer {admin_token}"})
    assert status.status_code == 200


def test_cli_rejects_bad_arguments(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LAZYCONFIG_JWT_SECRET", LONG)
    assert main(["token", "create", "--user", "x", "--role", "admin",
                 "--expires-in", "0"]) == 2
    assert "positive" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["token", "create", "--user", "x", "--role", "root"])


def test_settings_reach_the_app_from_the_environment_then_test_config(engine, monkeypatch):
    from lazyconfig.api.notifications.waiting import change_feed, fit_to_threads
    monkeypatch.setenv("LAZYCONFIG_MAX_WAITING_CLIENTS", "7")
    monkeypatch.setenv("LAZYCONFIG_MAX_BODY_BYTES", "4096")
    app = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": LONG,
                      "LAZYCONFIG_MAX_BODY_BYTES": "2048"})
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    assert change_feed(app).max_listeners == 7
    assert fit_to_threads(app, threads=128, reserved=16).max_listeners == 7  # set: kept
    monkeypatch.delenv("LAZYCONFIG_MAX_WAITING_CLIENTS")
    unset = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": LONG})
    assert fit_to_threads(unset, threads=128, reserved=16).max_listeners == 112
