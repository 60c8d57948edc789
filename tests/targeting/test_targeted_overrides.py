"""Targeted overrides: a key's rules give matching contexts another value, locally in the
engine and over HTTP; writes are attributed and logged, and snapshots, rollback and
export/import carry them. Runs on PostgreSQL too when LAZYCONFIG_TEST_DATABASE_URL is set."""
from __future__ import annotations

import json

import pytest

from lazyconfig.errors import InvalidDocument, UnknownKey, ValidationFailed

from tests.conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"
EU = [{"when": [{"attribute": "cluster", "op": "equals", "value": "eu-1"}], "value": 15.0}]
RULES = EU + [
    {"when": [{"attribute": "version", "op": "semver_gte", "value": "2.0.0"},
              {"attribute": "host", "op": "prefix", "value": "gpu-"}], "value": 20.0},
    {"when": [{"attribute": "tenant", "op": "in", "value": ["acme", "globex"]}], "value": 25.0}]


def test_an_engine_with_a_context_reads_its_targeted_value_locally(make_engine):
    writer = make_engine()
    writer.put_targeting(KEY, RULES, user="ops", description="eu-1 checks faster")
    eu = make_engine({"LAZYCONFIG_CONTEXT": json.dumps({"cluster": "eu-1"}),
                      "LAZYCONFIG_CLIENT_ID": "loader-1"})
    assert eu.context == {"cluster": "eu-1", "client_id": "loader-1"}
    assert eu.get(KEY) == 15.0 and writer.get(KEY) == 60.0
    eu.use_context({"cluster": "us-1", "version": "2.1.0", "host": "gpu-7"})
    assert eu.get(KEY) == 20.0
    eu.use_context({"cluster": "us-1", "version": "2.0.0-rc.1", "host": "gpu-7"})
    assert eu.get(KEY) == 60.0  # a pre-release sorts before its release
    eu.use_context({"tenant": "globex"})
    assert eu.get(KEY) == 25.0
    writer.set(KEY, 90.0)
    eu.refresh()
    assert eu.get(KEY) == 25.0 and eu.decide(KEY, {"tenant": "x"}).value == 90.0


def test_targeting_writes_are_logged_and_attributed(engine):
    engine.put_targeting(KEY, EU, user="ops", description="eu-1 first")
    engine.put_targeting(KEY, None, user="ops2")
    history, _ = engine.get_history(KEY)
    assert [(h["action"], h["user"], h["source"]) for h in history[:2]] == [
        ("untarget", "ops2", "targeting"), ("target", "ops", "targeting")]
    assert engine.get_targeting(KEY) == [] and engine.decide(KEY, {"cluster": "eu-1"}).value == 60.0


@pytest.mark.parametrize("rules, field", [
    ([{"when": [{"attribute": "planet", "op": "equals", "value": "mars"}], "value": 1.0}], "rules[0]"),
    ([{"when": [{"attribute": "cluster", "op": "equals", "value": "eu"}], "value": -5.0}],
     "rules[0].value"),
    ([{"when": [{"attribute": "version", "op": "semver_gt", "value": "two"}], "value": 1.0}], "rules[0]"),
    ([{"when": [{"attribute": "client_id", "op": "percent", "value": 101}], "value": 1.0}], "rules[0]"),
    ({"not": "a list"}, "rules"),
])
def test_refused_rules_change_nothing(engine, rules, field):
    revision = engine.revision
    with pytest.raises(ValidationFailed) as refused:
        engine.put_targeting(KEY, rules)
    assert field in refused.value.errors
    assert engine.revision == revision and engine.get_targeting(KEY) == []


def test_snapshots_and_rollback_carry_targeting(engine):
    engine.put_targeting(KEY, EU)
    snapshot = engine.create_snapshot("with targeting")
    assert engine.get_snapshot(snapshot)["values"][KEY]["targeting"][0]["value"] == 15.0
    engine.put_targeting(KEY, None)
    result = engine.rollback_to_snapshot(snapshot)
    assert [c.action for c in result.changes] == ["rollback"]
    assert engine.get_targeting(KEY) == EU_STORED


EU_STORED = [{**EU[0], "description": None}]


def test_a_percentage_of_client_ids_grows_monotonically(engine):
    ids = [f"loader-{n}" for n in range(20_000)]

    def inside(percent):
        engine.put_targeting(KEY, [{"when": [{"attribute": "client_id", "op": "percent",
                                              "value": percent}], "value": 1.0}])
        return {i for i in ids if engine.decide(KEY, {"client_id": i}).layer == "targeting"}
    ten, fifty = inside(10), inside(50)
    assert ten < fifty and abs(len(ten) / len(ids) - 0.10) < 0.01


@pytest.mark.parametrize("context", ["[1, 2]", '"eu"', "{not json", json.dumps({"a": [1]}),
                                     json.dumps({"x": "y" * 1_000_000})])
def test_a_context_that_is_not_one_is_refused(client, viewer, context):
    answer = client.get(f"{PREFIX}/values/{KEY}", query_string={"context": context},
                        headers=viewer)
    assert answer.status_code == 422 and answer.json["code"] == 422
    with pytest.raises(InvalidDocument):
        from lazyconfig.domain.targeting import parse_context
        parse_context(context)


def test_over_http_a_context_decides_the_value_and_explain_says_why(client, editor, viewer):
    answer = client.put(f"{PREFIX}/values/{KEY}/targeting", json={"rules": RULES}, headers=editor)
    assert answer.status_code == 200 and len(answer.json["rules"]) == 3
    eu = json.dumps({"cluster": "eu-1"})
    assert client.get(f"{PREFIX}/values/{KEY}", query_string={"context": eu},
                      headers=viewer).json["value"] == 15.0
    by_header = client.get(f"{PREFIX}/values/{KEY}",
                           headers={**viewer, "X-Lazyconfig-Context": '{"tenant": "acme"}'})
    assert by_header.json["value"] == 25.0 and by_header.json["source"] == "targeting"
    explained = client.get(f"{PREFIX}/values/{KEY}/explain", query_string={"context": eu},
                           headers=viewer).json
    assert explained["layer"] == "targeting" and explained["rule"] == 0
    plain = client.get(f"{PREFIX}/values/{KEY}/explain", headers=viewer).json
    assert plain["layer"] == "default" and plain["value"] == 60.0
    assert client.delete(f"{PREFIX}/values/{KEY}/targeting", headers=editor).json["rules"] == []
    assert client.get(f"{PREFIX}/values/unknown_key/targeting", headers=viewer).status_code == 404


def test_unknown_key(engine):
    with pytest.raises(UnknownKey):
        engine.put_targeting("no_such_key", EU)


def test_export_and_import_carry_targeting(engine):
    engine.put_targeting(KEY, EU)
    document = engine.export()
    assert document["targeting"] == {KEY: EU_STORED}
    engine.put_targeting(KEY, None)
    result = engine.import_configuration(document)
    assert engine.get_targeting(KEY) == EU_STORED
    assert [(c.key, c.source, c.action) for c in result.changes] == [(KEY, "targeting", "import")]
    unchanged = engine.import_configuration(document)
    assert unchanged.changes == []
    document["targeting"][KEY][0]["value"] = -1.0
    revision = engine.revision
    with pytest.raises(ValidationFailed):
        engine.import_configuration(document)
    assert engine.revision == revision and engine.get_targeting(KEY) == EU_STORED


def test_export_and_import_over_http_carry_targeting(client, admin, engine):
    engine.put_targeting(KEY, EU)
    document = client.post(f"{PREFIX}/export", headers=admin).json
    assert document["targeting"] == {KEY: EU_STORED}
    engine.put_targeting(KEY, None)
    assert client.post(f"{PREFIX}/import", json=document, headers=admin).status_code == 200
    assert engine.get_targeting(KEY) == EU_STORED
