"""The console's pages: sign-in and sign-out, the values and analytics screens. Pages hold
no data: their scripts read it from the REST API with the session cookie."""
from __future__ import annotations

import time

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_jwt_extended import decode_token
from flask_smorest import abort

from ...auth import claims_problem
from ...settings import Settings
from .. import session_auth
from ..blueprint import PREFIX
from ..context import engine, request_id, settings

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static")
PAGES = {"values": "Values", "history": "History", "snapshots": "Snapshots",
         "templates": "Templates", "analytics": "Analytics", "status": "Status",
         "import": "Import", "tokens": "Tokens", "audit": "Audit"}
ADMIN_PAGES = {"import", "tokens", "audit"}  # linked for admins only; the API refuses everyone else
# Only our own files: no inline script, nothing from another origin (docs/console.md).
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def init_app(app: Flask, app_settings: Settings, secret: str) -> None:
    session_auth.init_app(app, secret, app_settings.token_ttl,
                          https_only=app_settings.env == "production")
    app.register_blueprint(bp)


@bp.after_request
def _headers(response):
    response.headers.setdefault("Content-Security-Policy", POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def _render(template: str, status: int = 200, **context):
    claims = session_auth.signed_in()
    shown = {name: label for name, label in PAGES.items()
             if name not in ADMIN_PAGES or (claims and claims["role"] == "admin")}
    return render_template(f"console/{template}", api_prefix=PREFIX, pages=shown,
                           csrf=session_auth.csrf_token(), user=claims and claims["sub"],
                           role=claims and claims["role"], **context), status


@bp.get("/")
def home():
    return redirect(url_for(".page", name="values"))


@bp.get("/<any(values, history, snapshots, templates, analytics, status, import, tokens, "
        "audit):name>")
def page(name: str):
    if session_auth.signed_in() is None:
        return redirect(url_for(".sign_in"))
    return _render(f"{name}.html", page=name, title=PAGES[name])


@bp.get("/sign-in")
def sign_in():
    return _render("sign_in.html", page="sign-in", title="Sign in")


def _checked_form() -> None:
    if not session_auth.csrf_matches(request.form.get("csrf_token")):
        abort(403, message="this form needs the CSRF token of the page it came from; "
                           "reload the page and try again")


@bp.post("/sign-in")
def sign_in_post():
    _checked_form()
    token = request.form.get("token", "").strip()
    name = request.form.get("name", "")
    who = _by_token(token) if token else _by_password(name, request.form.get("password", ""))
    way = "token" if token else "password"
    if isinstance(who, str):
        engine().record_sign_in(None if token else name, way, who, request_id=request_id())
        return _render("sign_in.html", 401, page="sign-in", title="Sign in", error=who)
    engine().record_sign_in(who[0], way, request_id=request_id())
    session_auth.begin(*who)
    return redirect(url_for(".page", name="values"))


def _by_token(token: str) -> tuple[str, str, float, str | None] | str:
    try:
        claims = decode_token(token)
    except Exception:  # PyJWT's and flask-jwt-extended's many refusals: all one answer here
        return "that token is not valid here (wrong signature, expired or malformed)"
    problem = claims_problem(claims, settings().max_token_lifetime, time.time())
    if problem:
        return f"that token cannot sign in: {problem}"
    if engine().revocations.is_revoked(claims.get("jti")):
        return "that token has been revoked"
    return claims["sub"], claims["role"], claims["exp"], claims.get("jti")


def _by_password(name: str, password: str) -> tuple[str, str, float] | str:
    role = engine().sign_in(name, password) if name and password else None
    if role is None:
        return "wrong name or password"
    return name, role, time.time() + settings().token_ttl


@bp.post("/sign-out")
def sign_out():
    _checked_form()
    session_auth.end()
    return redirect(url_for(".sign_in"))
