"""Importing other systems' exports, each file made in that tool's documented format: a
.env / properties file, `consul kv export` JSON (10,000 entries: the 25 built-in keys and
9,975 that name none) and `etcdctl get --prefix -w json`. Each round-trips our values,
reports every entry, changes nothing when imported again, and a file with an invalid value
or a hostile one changes nothing at all."""
from __future__ import annotations

import base64
import json

import pytest

from lazyconfig.domain import ConfigurationValidationRule
from lazyconfig.domain.foreign import MAX_BYTES
from lazyconfig.errors import InvalidDocument, ValidationFailed

PREFIX = "config/lazyconfig/"
WANTED = {"load_timeout": 12.5, "max_concurrent_loads": 9, "cache_enabled": False,
          "lazy_loading_unloading_strategy": "AGGRESSIVE", "app.cache.size": 2048}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _text(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)  # true/false, numbers, JSON documents


def _wanted(engine) -> dict:
    """Every key's value, the WANTED ones changed."""
    return {**{k: engine.get(k) for k in engine.entries()}, **WANTED}


def consul_export(values: dict, extra: int = 0) -> bytes:
    """`consul kv export config/`: [{key, flags, value (base64)}], a folder entry first."""
    items = [{"key": PREFIX, "flags": 0, "value": None}]
    items += [{"key": PREFIX + k.replace(".", "/"), "flags": 0, "value": _b64(_text(v))}
              for k, v in values.items()]
    items += [{"key": f"config/other-service/setting-{n}", "flags": 0, "value": _b64(str(n))}
              for n in range(extra)]
    return json.dumps(items).encode()


def etcd_answer(values: dict) -> bytes:
    """`etcdctl get --prefix /config/lazyconfig/ -w json`."""
    kvs = [{"key": _b64("/" + PREFIX + k.replace(".", "/")), "create_revision": 2 + n,
            "mod_revision": 2 + n, "version": 1, "value": _b64(_text(v))}
           for n, (k, v) in enumerate(values.items())]
    return json.dumps({"header": {"cluster_id": 14841639068965178418, "member_id": 1,
                                  "revision": 2 + len(kvs), "raft_term": 2},
                       "kvs": kvs, "count": len(kvs)}).encode()


def env_file(values: dict) -> bytes:
    """A .env file: the environment layer's names, comments, quoting, `export`."""
    lines = ["# exported for lazyconfig", ""]
    for n, (key, value) in enumerate(values.items()):
        name = "LAZYCONFIG_" + key.upper().replace(".", "_")
        text = _text(value)
        if n % 3 == 0:
            lines.append(f'{name}="{text}"' if '"' not in text else f"{name}='{text}'")
        elif n % 3 == 1:
            lines.append(f"export {name}={text}")
        else:
            lines.append(f"{key.upper().replace('.', '_')}={text}  # trailing comment")
    return "\n".join(lines).encode()


def properties_file(values: dict) -> bytes:
    """A Java properties file: `key=value`, `key: value`, `!` and `#` comments."""
    lines = ["! lazyconfig", "# generated"]
    lines += [f"{k}{': ' if n % 2 else '='}{_text(v)}" for n, (k, v) in enumerate(values.items())]
    return "\n".join(lines).encode()


@pytest.fixture
def engine(make_engine):
    engine = make_engine()
    engine.add_validation_rule(ConfigurationValidationRule(
        key="app.cache.size", value_type="int", default_value=1024, min_value=0))
    return engine


def _count(engine) -> int:
    with engine.storage.reading() as uow:
        return uow.changes.count()


MAKERS = {"env": (env_file, None), "properties": (properties_file, None),
          "consul": (consul_export, PREFIX), "etcd": (etcd_answer, "/" + PREFIX)}


@pytest.mark.parametrize("made", sorted(MAKERS))
def test_each_format_round_trips_and_a_second_import_changes_nothing(engine, made):
    make, prefix = MAKERS[made]
    kind = "env" if made == "properties" else made
    wanted = _wanted(engine)
    data = make(wanted)
    planned = engine.import_from(kind, data, prefix=prefix, dry_run=True)
    assert planned.changes == [] and engine.get("load_timeout") != 12.5
    done = engine.import_from(kind, data, prefix=prefix, user="migrator")
    assert done.diff == planned.diff and {c.action for c in done.changes} == {"import"}
    assert {k: engine.get(k) for k in wanted} == wanted
    assert {r["key"] for r in done.report if r["status"] == "applied"} == set(WANTED)
    assert {r["key"] for r in done.report} == set(wanted)
    count = _count(engine)
    again = engine.import_from(kind, data, prefix=prefix)
    assert again.changes == [] and again.snapshot_id is None and _count(engine) == count
    assert {r["status"] for r in again.report} == {"unchanged"}


def test_ten_thousand_consul_entries_report_every_one(engine):
    wanted = _wanted(engine)
    data = consul_export(wanted, extra=10_000 - len(wanted))
    done = engine.import_from("consul", data, prefix=PREFIX)
    assert len(done.report) == 10_000  # the folder entry holds no value and is left out
    statuses = [r["status"] for r in done.report]
    assert statuses.count("unknown key") == 10_000 - len(wanted)
    assert statuses.count("applied") == len(WANTED) and len(done.changes) == len(WANTED)
    assert {k: engine.get(k) for k in wanted} == wanted
    without_prefix = engine.import_from("consul", data, dry_run=True)
    assert {r["status"] for r in without_prefix.report} == {"unknown key"}


def test_an_invalid_value_refuses_the_whole_file(engine):
    before, count = engine.entries(), _count(engine)
    bad = {**WANTED, "max_concurrent_loads": 0, "load_timeout": "soon"}
    for kind, data, prefix in (("consul", consul_export(bad), PREFIX),
                               ("env", env_file(bad), None)):
        with pytest.raises(ValidationFailed) as refused:
            engine.import_from(kind, data, prefix=prefix)
        assert refused.value.errors  # the parse failure, named by the file's entry
    twice = b"load_timeout=1\nLAZYCONFIG_LOAD_TIMEOUT=2\n"
    with pytest.raises(ValidationFailed):
        engine.import_from("env", twice)
    out_of_range = consul_export({"max_concurrent_loads": 0, "load_timeout": 5.0})
    with pytest.raises(ValidationFailed) as refused:
        engine.import_from("consul", out_of_range, prefix=PREFIX)
    assert list(refused.value.errors) == ["max_concurrent_loads"]
    assert engine.entries() == before and _count(engine) == count


HOSTILE = {
    "consul, bad base64": ("consul", b'[{"key": "config/lazyconfig/load_timeout", "value": "!!"}]'),
    "consul, not a list": ("consul", b'{"key": "load_timeout"}'),
    "consul, bad JSON": ("consul", b'[{"key": '),
    "consul, key not text": ("consul", b'[{"key": 7, "value": "MQ=="}]'),
    "etcd, bad base64 key": ("etcd", b'{"kvs": [{"key": "%%%", "value": "MQ=="}]}'),
    "etcd, value not UTF-8": ("etcd", json.dumps({"kvs": [{"key": _b64("load_timeout"),
                                                           "value": base64.b64encode(
                                                               b"\xff\xfe").decode()}]}).encode()),
    "etcd, kvs not a list": ("etcd", b'{"kvs": 5}'),
    "etcd, deeply nested": ("etcd", b"[" * 100_000),
    "env, no separator": ("env", b"LOAD_TIMEOUT 5\n"),
    "env, open quote": ("env", b'LOAD_TIMEOUT="5\n'),
    "env, not UTF-8": ("env", b"LOAD_TIMEOUT=\xff\n"),
    "env, huge": ("env", b"X=" + b"1" * MAX_BYTES),
    "unknown format": ("yaml", b"load_timeout: 5"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_and_change_nothing(engine, name):
    kind, data = HOSTILE[name]
    before, count = engine.entries(), _count(engine)
    with pytest.raises(InvalidDocument):
        engine.import_from(kind, data)
    assert engine.entries() == before and _count(engine) == count
