"""OpenAPI and Swagger UI, served without internet access: the UI's JavaScript and CSS come
from the installed swagger-ui-bundle package, never from a CDN."""
from __future__ import annotations

from flask import Blueprint, Flask, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/docs/assets/"

SETTINGS = {
    "API_TITLE": "lazyconfig",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
    "API_SPEC_OPTIONS": {
        "info": {"description": "Runtime configuration for the package lazy-loading system. "
                                "Send `Authorization: Bearer <token>`; make a token with "
                                "`lazyconfig token create --user NAME --role ROLE`."},
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    },
}

assets = Blueprint("swagger_ui_assets", __name__)


@assets.get(ASSETS_URL + "<path:filename>")
def swagger_ui_asset(filename: str):
    """A Swagger UI file (JavaScript, CSS, source map, icon) from swagger-ui-bundle."""
    return send_from_directory(str(swagger_ui_path), filename, max_age=86_400)


def init_app(app: Flask) -> None:
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    app.register_blueprint(assets)
