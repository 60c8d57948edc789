"""Routes of service tokens, revocation, whoami and the audit log."""
from __future__ import annotations

from datetime import datetime, timezone

from flask.views import MethodView

from ..auth import current_caller, current_user
from ..blueprint import Blueprint
from ..context import engine, request_id
from .schemas import (ISSUE_EXAMPLE, AuditPageSchema, IssuedTokenSchema, RevokedSchema,
                      RevokeSchema, TokenIssueSchema, TokenPageSchema, TokenSchema,
                      WhoAmISchema)

blp = Blueprint("tokens", __name__, "Service tokens, revocation, who am I, the audit log")


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.requires("admin")
    @blp.response(200, TokenPageSchema)
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(self, pagination_parameters):
        """Service tokens, oldest first (never their secrets)"""
        page = pagination_parameters
        items, total = engine().list_tokens(page.page_size, page.first_item)
        page.item_count = total
        return {"tokens": items, "total": total}

    @blp.requires("admin", writes=True)
    @blp.arguments(TokenIssueSchema, example=ISSUE_EXAMPLE)
    @blp.response(201, IssuedTokenSchema)
    def post(self, body):
        """Issue a service token; the answer holds the token, which is never shown again"""
        record, token = engine().issue_token(**body, user=current_user(),
                                             request_id=request_id())
        return {**record, "token": token}


@blp.route("/tokens/<id:token_id>")
class Token(MethodView):
    @blp.requires("admin", writes=True)
    @blp.response(200, TokenSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, token_id):
        """Revoke a service token: refused everywhere within a second, its streams closed"""
        return engine().revoke_token(token_id, user=current_user(), request_id=request_id())


@blp.route("/tokens/revoke")
class Revocation(MethodView):
    @blp.requires("admin", writes=True)
    @blp.arguments(RevokeSchema, example={"jti": "5f0c8a0e-3b1d-4b8e-9d7a-0c1e2f3a4b5c"})
    @blp.response(200, RevokedSchema)
    def post(self, body):
        """Revoke signed tokens by their `jti`, until they expire"""
        revoked = engine().revoke_jti(body["jti"], user=current_user(),
                                      request_id=request_id())
        return {"jti": body["jti"], "revoked": revoked}


@blp.route("/auth/whoami")
class WhoAmI(MethodView):
    @blp.requires("viewer", scoped=True)
    @blp.response(200, WhoAmISchema)
    def get(self):
        """Who the caller is: name, role, kind of token, key scope and expiry"""
        caller = current_caller()
        expires = (None if caller.expires_at is None
                   else datetime.fromtimestamp(caller.expires_at, timezone.utc))
        return {"name": caller.name, "role": caller.role, "kind": caller.kind,
                "keys": caller.keys, "expires_at": expires, "token_id": caller.token_id}


@blp.route("/audit")
class Audit(MethodView):
    @blp.requires("admin")
    @blp.response(200, AuditPageSchema)
    @blp.paginate(page_size=50, max_page_size=500)
    def get(self, pagination_parameters):
        """Token issue and revocation: who, when, in which request; newest first"""
        page = pagination_parameters
        items, total = engine().audit_events(page.page_size, page.first_item)
        page.item_count = total
        return {"events": items, "total": total}
