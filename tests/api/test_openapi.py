"""The OpenAPI document is valid OpenAPI 3, documents every route, and Swagger UI loads
entirely from the app."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from openapi_spec_validator import validate

from .conftest import PREFIX


def test_document_is_valid_openapi_3(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_served_route_is_documented(app, client):
    paths = client.get("/api/openapi.json").json["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith(
                ("api-docs.", "swagger_ui_assets.")):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in paths, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], (method, path)


def test_protected_operations_declare_bearer_security(client):
    document = client.get("/api/openapi.json").json
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if path.startswith(PREFIX):
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            else:
                assert "security" not in operation, (method, path)


def test_spec_examples_are_in_the_document(client):
    paths = client.get("/api/openapi.json").json["paths"]

    def example(path, method):
        return paths[PREFIX + path][method]["requestBody"]["content"]["application/json"][
            "example"]
    assert example("/values/{key}", "put")["description"] == \
        "Reduced check interval for faster response"
    assert example("/values/batch", "post")["snapshot_description"] == \
        "Batch configuration update"
    assert example("/validate", "post")["value"] == 0.8
    assert example("/snapshots", "post")["tags"] == ["backup", "major-changes"]


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_swagger_ui_and_all_its_assets_load_from_the_app(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    parser = Assets()
    parser.feed(page.get_data(as_text=True))
    assert len(parser.urls) == 3
    for url in parser.urls:
        assert url.startswith("/"), f"{url} is not served by the app"
        with client.get(url) as asset:  # closes the served file
            assert asset.status_code == 200, url
            assert len(asset.data) > 1000, url
    assert client.get("/api/docs/assets/nope.js").status_code == 404
