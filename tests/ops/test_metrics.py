"""GET /metrics after known traffic shows exactly that traffic: requests and latency by
route and status, writes, validation failures, rollbacks and the current revision."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

PREFIX = "/api/lazy-loading-config"
VALUE_ROUTE = f"{PREFIX}/values/<string:key>"
METHOD_LABELS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}


def scrape(client) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} from /metrics."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def sample(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counts_match_the_traffic_sent(client, engine, editor, viewer):
    for _ in range(3):
        assert client.get(f"{PREFIX}/values/load_timeout", headers=viewer).status_code == 200
    assert client.get(f"{PREFIX}/values/nope", headers=viewer).status_code == 404
    client.put(f"{PREFIX}/values/load_timeout", json={"value": 5.0}, headers=editor)
    client.put(f"{PREFIX}/values/load_timeout", json={"value": 6.0}, headers=editor)
    assert client.put(f"{PREFIX}/values/load_timeout", json={"value": -1},
                      headers=editor).status_code == 400
    client.post(f"{PREFIX}/validate", json={"key": "load_timeout", "value": 0}, headers=viewer)
    snapshot = client.post(f"{PREFIX}/snapshots", headers=editor).json["id"]
    client.put(f"{PREFIX}/values/load_timeout", json={"value": 7.0}, headers=editor)
    client.post(f"{PREFIX}/snapshots/{snapshot}/rollback", json={"dry_run": True}, headers=editor)
    client.post(f"{PREFIX}/snapshots/{snapshot}/rollback", headers=editor)

    samples = scrape(client)
    total = "lazyconfig_http_requests_total"
    assert sample(samples, total, route=VALUE_ROUTE, method="GET", status="200") == 3
    assert sample(samples, total, route=VALUE_ROUTE, method="GET", status="404") == 1
    assert sample(samples, total, route=VALUE_ROUTE, method="PUT", status="200") == 3
    assert sample(samples, total, route=VALUE_ROUTE, method="PUT", status="400") == 1
    assert sample(samples, "lazyconfig_http_request_duration_seconds_count",
                  route=VALUE_ROUTE, method="GET", status="200") == 3
    assert sample(samples, "lazyconfig_writes_total", operation="set") == 3
    assert sample(samples, "lazyconfig_writes_total", operation="rollback") == 1
    assert sample(samples, "lazyconfig_validation_failures_total", operation="set") == 1
    assert sample(samples, "lazyconfig_validation_failures_total", operation="validate") == 1
    assert sample(samples, "lazyconfig_rollbacks_total") == 1
    assert sample(samples, "lazyconfig_revision") == engine.revision
    assert sample(samples, "lazyconfig_stream_clients") == 0


def test_unknown_paths_share_one_series(client):
    client.get("/no/such/page")
    client.get("/another/missing/page")
    samples = scrape(client)
    assert sample(samples, "lazyconfig_http_requests_total", route="unmatched", method="GET",
                  status="404") == 2


def test_writes_made_in_python_count_and_other_processes_writes_do_not(client, engine,
                                                                        make_engine):
    snapshot = engine.create_snapshot("before")
    engine.set("load_timeout", 5.0, user="script")
    assert engine.set("load_timeout", -1.0) is False
    engine.rollback_to_snapshot(snapshot)
    make_engine().set("max_concurrent_loads", 3)  # another process's engine, same database
    engine.refresh()

    samples = scrape(client)
    assert sample(samples, "lazyconfig_writes_total", operation="set") == 1
    assert sample(samples, "lazyconfig_writes_total", operation="rollback") == 1
    assert sample(samples, "lazyconfig_rollbacks_total") == 1
    assert sample(samples, "lazyconfig_validation_failures_total", operation="set") == 1
    assert sample(samples, "lazyconfig_revision") == engine.revision == 3


def test_invented_methods_paths_and_statuses_add_no_series(app, client):
    """Any word is a method to a client: each one must not become a series of its own
    (3,000 such requests once grew /metrics to 5.9 MB). Every label takes values from a
    fixed set, so the number of series stays put however many requests come."""
    def series() -> set[tuple]:
        return {labels for name, labels in scrape(client)
                if name == "lazyconfig_http_requests_total"}

    scrape(client)  # a scrape is a request too: its series exists from now on
    for n in range(50):
        client.open(f"/nothing/{n}", method=f"X{n}")
        client.open(f"{PREFIX}/values/load_timeout", method=f"FETCH{n}")
        client.open(f"{PREFIX}/values/load_timeout", method="GET")  # 401, no token
    first = series()
    for n in range(50, 300):
        client.open(f"/nothing/{n}", method=f"X{n}")
        client.open(f"{PREFIX}/values/load_timeout", method=f"FETCH{n}")
    assert series() == first
    routes = {rule.rule for rule in app.url_map.iter_rules()} | {"unmatched"}
    for labels in first:
        label = dict(labels)
        assert label["method"] in METHOD_LABELS and label["route"] in routes
    samples = scrape(client)
    for status in ("404", "405"):  # no such path; a path that exists, with no such method
        assert sample(samples, "lazyconfig_http_requests_total", route="unmatched",
                      method="other", status=status) == 300


def test_a_status_outside_the_known_set_is_counted_by_its_class():
    from lazyconfig.api.observe import _status
    assert [_status(code) for code in (200, 412, 418, 507, 299, 99, 600)] == [
        "200", "412", "4xx", "5xx", "2xx", "other", "other"]
