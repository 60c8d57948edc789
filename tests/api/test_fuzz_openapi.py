"""Schemathesis fuzzes every operation of the app's own OpenAPI document, in process, with an
admin token: no 5xx, no undocumented status or content type, no body or header that breaks
its documented schema, and every operation answers 2xx at least once (so writes really run).

Each operation is one test on a fresh database: its documented examples, schemathesis'
boundary (coverage) cases and 15 generated requests, derandomized so CI sends the same
requests every run. Nothing is excluded: the blocking query and the event stream are
bounded instead (see `bounded_waits`).
"""
from __future__ import annotations

import re
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from lazyconfig import create_app
from lazyconfig.api.notifications import schemas as notification_schemas
from lazyconfig.api.notifications import waiting
from lazyconfig.api.templates import schemas as template_schemas
from lazyconfig import bootstrap
from lazyconfig.settings import Settings

from .conftest import SECRET

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# The console's HTML pages are not API operations (tests/console drives them in a browser).
UNDOCUMENTED = ("static", "api-docs.", "swagger_ui_assets.", "metrics.", "console.")
SNAPSHOT_IDS = [1, 2]  # made by the `seeded` fixture
EXPERIMENT_IDS = [1]  # likewise
CUSTOM_KEY = "fuzz.custom_key"  # a new key, for PUT /rules
FUZZ_TEMPLATE = "fuzz-template"  # a stored template, made by the `seeded` fixture
CHANGE_IDS = [1, 2, 3]  # change requests: the admin's own, and two of another's


def served_app_facts() -> tuple[dict, list[str]]:
    """/api/openapi.json as the app serves it, and the keys it defines, from an app on a
    throwaway SQLite file. Read at collection, because parametrizing needs the operations
    before any fixture exists (schemathesis.pytest.from_fixture would defer it, but its
    per-operation reporting fails on pytest 9.2: `Function` has no `_nodeid`)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"LAZYCONFIG_DATABASE_URL": f"sqlite:///{tmp}/openapi.db",
               "LAZYCONFIG_INSTANCE_PATH": f"{tmp}/instance"}
        engine = bootstrap(Settings.from_env(env), env=env, watch=False)
        try:
            app = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET})
            return app.test_client().get("/api/openapi.json").json, sorted(engine.entries())
        finally:
            engine.close()


DOCUMENT, KEYS = served_app_facts()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict({
    # The event stream is read for 0.3 s or up to its first change event (see bounded_waits).
    "request-timeout": 0.3, "max-stream-events": 1}))


@schema.hook
def flatmap_path_parameters(_context, path_parameters):
    # Random keys and ids are nearly all 404s: draw real ones as well, so that writes get
    # past the lookup and into the engine.
    real = {"key": [*KEYS, CUSTOM_KEY], "snapshot_id": SNAPSHOT_IDS,
            "name": ["throughput", FUZZ_TEMPLATE], "experiment_id": EXPERIMENT_IDS,
            "change_id": CHANGE_IDS}
    return st.fixed_dictionaries({name: st.sampled_from([*real.get(name, []), value])
                                  for name, value in (path_parameters or {}).items()})


@schema.hook
def flatmap_case(_context, case):
    # A body `key` that differs from the path's is a 409; half the time make them agree.
    def agree(yes: bool):
        if yes and isinstance(case.body, dict) and "key" in (case.path_parameters or {}):
            case.body = {**case.body, "key": case.path_parameters["key"]}
        return case
    return st.booleans().map(agree)


@pytest.fixture
def bounded_waits(monkeypatch):
    """Blocking queries and the event stream, bounded, so no operation needs excluding: `wait`
    is capped at 50 ms instead of 60 s, and an idle stream sends a heartbeat every 50 ms, so
    the fuzzer's reader sees its deadline pass and closes the stream (which unregisters it
    from the feed)."""
    monkeypatch.setattr(notification_schemas, "MAX_WAIT", 0.05)
    monkeypatch.setattr(waiting, "HEARTBEAT_SECONDS", 0.05)


@pytest.fixture
def seeded(engine):
    """Two snapshots, a change, a stored template, an experiment, a policy and three change
    requests (one the admin's own, to edit; one pending, one approved), for the fuzzer's
    real ids, revisions and names."""
    engine.create_snapshot("fuzz: before", user="fuzzer")
    engine.create_template({**template_schemas.EXAMPLE, "name": FUZZ_TEMPLATE}, user="fuzzer")
    engine.set("lazy_loading_unloading_check_interval", 45.0, user="fuzzer")
    engine.create_snapshot("fuzz: after", user="fuzzer")
    engine.start_experiment("lazy_loading_unloading_enabled", {
        "coverage": 0.1, "metrics": ["load_ms"],  # the API's examples name these
        "variants": [{"name": "control", "value": False, "weight": 0.5},
                     {"name": "aggressive", "value": True, "weight": 0.5}]})
    engine.put_policies([{"pattern": "lazy_loading_unloading_check_*", "approvals": 1}])
    engine.propose({"lazy_loading_unloading_check_interval": 50.0}, user="admin-user")
    engine.propose({"lazy_loading_unloading_check_interval": 55.0}, user="fuzzer")
    engine.propose({"lazy_loading_unloading_max_unloads_per_cycle": 3}, user="fuzzer")


@pytest.fixture
def answered(request):
    """The statuses one operation answered; at the end at least one must be a success,
    or the fuzzer only ever exercised the operation's error paths."""
    statuses: list[int] = []
    yield statuses
    if not any(200 <= s < 300 for s in statuses):
        pytest.fail(f"{request.node.name}: no 2xx among {sorted(set(statuses))}",
                    pytrace=False)


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_operation_survives_fuzzing(case, app, admin, seeded, bounded_waits, answered):
    response = case.call_and_validate(app=app, headers=admin, checks=CHECKS)
    answered.append(response.status_code)


def test_every_served_operation_is_documented_and_fuzzed(app, client):
    # The docs, their assets, the Prometheus scrape and the console are not part of the API
    # document.
    served = {(method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
              for rule in app.url_map.iter_rules() if not rule.endpoint.startswith(UNDOCUMENTED)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method.upper(), path) for path, item in client.get(
        "/api/openapi.json").json["paths"].items() for method in item if method in METHODS}
    fuzzed = [(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()]
    assert len(fuzzed) == len(documented) == len(served)
    assert set(fuzzed) == documented == served
