"""Bodies of the tokens, whoami and audit resources."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...domain.callers import ROLES
from ...service.tokens import MAX_EXPIRES_IN, MAX_PATTERNS, PATTERN_CHARS

ISSUE_EXAMPLE = {"name": "loader-eu1", "role": "viewer", "keys": ["lazy_loading_*"],
                 "expires_in": 2592000}


class TokenIssueSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "who the token is for; its changes are "
                                                  "recorded under this name"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    keys = fields.List(fields.String(validate=validate.Length(min=1, max=PATTERN_CHARS)),
                       load_default=None, allow_none=True,
                       validate=validate.Length(min=1, max=MAX_PATTERNS),
                       metadata={"description": "glob patterns of the keys the token may "
                                                "read and write (default: every key)"})
    expires_in = fields.Integer(load_default=None, allow_none=True,
                                validate=validate.Range(min=1, max=MAX_EXPIRES_IN),
                                metadata={"description": "seconds until it expires "
                                                         "(default: never)"})


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    keys = fields.List(fields.String(), allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True,
                                   metadata={"description": "to within a minute"})
    revoked_at = fields.DateTime(allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "`lzc_<id>_<secret>`: shown only now, "
                                                   "never stored"})


class TokenPageSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema))
    total = fields.Integer()


class RevokeSchema(Schema):
    jti = fields.String(required=True, validate=validate.Length(min=1, max=200),
                        metadata={"description": "the `jti` claim of a signed token"})


class RevokedSchema(Schema):
    jti = fields.String()
    revoked = fields.Boolean(metadata={"description": "false when it was revoked already"})


class WhoAmISchema(Schema):
    name = fields.String()
    role = fields.String()
    kind = fields.String(metadata={"description": "signed, service or oidc"})
    keys = fields.List(fields.String(), allow_none=True,
                       metadata={"description": "the key scope; null: every key"})
    expires_at = fields.DateTime(allow_none=True)
    token_id = fields.String(allow_none=True,
                             metadata={"description": "a signed token's jti, a service "
                                                      "token's lzc_<id>"})


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String(allow_none=True)
    action = fields.String(metadata={"description": "token.issue, token.revoke, jti.revoke, "
                                                         "snapshot.pin, snapshot.unpin"})
    subject = fields.String()
    request_id = fields.String(allow_none=True)
    detail = fields.Raw(allow_none=True)


class AuditPageSchema(Schema):
    events = fields.List(fields.Nested(AuditEventSchema), metadata={"description":
                                                                    "newest first"})
    total = fields.Integer()
