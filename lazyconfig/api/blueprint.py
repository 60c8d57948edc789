"""The project's Blueprint: flask-smorest's, plus role checks that are also documented, and
a request parser that answers 422 (not 400) for a body that is not JSON at all."""
from __future__ import annotations

from functools import wraps

from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from webargs.flaskparser import FlaskParser

from .auth import authorize

PREFIX = "/api/lazy-loading-config"


class Parser(FlaskParser):
    # 400 is reserved for values that break their rules; an unreadable body is malformed.
    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(422, message="the request body is not valid JSON",
              errors={"json": ["Invalid JSON body."]})


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = Parser()

    def __init__(self, name: str, import_name: str, description: str):
        super().__init__(name, import_name, url_prefix=PREFIX, description=description)

    def requires(self, role: str):
        """Decorate a view: a valid Bearer token with `role` or above is needed (401
        without one, 403 below it); the OpenAPI document says so."""
        def decorator(func):
            @wraps(func)
            def wrapper(*args, **kwargs):
                authorize(role)
                return func(*args, **kwargs)
            wrapper = self.doc(security=[{"bearerAuth": []}],
                               description=f"Needs a Bearer token with role **{role}** or above.",
                               **{"x-required-role": role})(wrapper)
            wrapper = self.alt_response(401, response="UNAUTHORIZED")(wrapper)
            return self.alt_response(403, response="FORBIDDEN")(wrapper)
        return decorator
