"""The project's Api and Blueprint: flask-smorest's, plus role checks that are also
documented, and a request parser that answers 422 (not 400) for a body that is not JSON."""
from __future__ import annotations

import json
from functools import wraps

from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from flask import request

from .auth import authorize, require_keys
from .context import catch_up
from .errors import http_exception
from .schemas import MAX_ID

PREFIX = "/api/lazy-loading-config"


class Parser(FlaskParser):
    # 400 is reserved for values that break their rules; an unreadable body is malformed.
    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(422, message="the request body is not valid JSON",
              errors={"json": ["Invalid JSON body."]})

    def _raw_load_json(self, req):
        # The json module recurses per nesting level: thousands of `[` must not be a 500.
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            abort(422, message="the request body is not valid JSON: nested too deeply",
                  errors={"json": ["Nested too deeply."]})
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise  # webargs answers these (_handle_invalid_json_error)
        except ValueError:
            # The json module's other refusal: an integer of more than 4,300 digits.
            abort(422, message="the request body is not valid JSON: a number too long to read",
                  errors={"json": ["Invalid JSON body."]})


class RowIdConverter(IntegerConverter):
    """`<id:…>`: a non-negative integer that fits a database id; anything else is 404."""

    # werkzeug's `\d+` takes any Unicode digit and any length, which int() may refuse (over
    # 4,300 digits) after the route matched: an error, where no such id is a 404.
    regex = r"[0-9]{1,19}"

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, max=MAX_ID)


class Api(SmorestApi):
    """flask-smorest's Api, with every HTTP error answered by api/errors.py, so that each
    has a `message` (webargs' 422s and werkzeug's own errors come without one)."""

    def handle_http_exception(self, error):
        return http_exception(error)


def _require_scope(caller) -> None:
    key = (request.view_args or {}).get("key")
    if key is None:
        abort(403, message="a token scoped to keys cannot use this route, which reads or "
                           "changes every key")
    require_keys([key])


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = Parser()

    def __init__(self, name: str, import_name: str, description: str):
        super().__init__(name, import_name, url_prefix=PREFIX, description=description)

    def _document_pagination_metadata(self, spec, resp_doc):
        # The header's value is JSON text: say so, or a client reads it in OpenAPI's default
        # "simple" style, as comma-separated name,value pairs.
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata, as JSON",
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/PaginationMetadata"}}}}

    def requires(self, role: str, *, writes: bool = False, scoped: bool = False):
        """Decorate a view: a valid Bearer token with `role` or above is needed (401
        without one, 403 below it); the OpenAPI document says so. A token with a key scope
        may use a route of one `key` in its scope, or a view that is `scoped` (it checks or
        filters the keys itself); any other route is 403 to it. Then the engine catches
        up with other processes' writes, unless the view `writes`: the engine's write
        catches up by itself, under the write lock, and doing it twice cost a full refresh
        per write under a stream of writes from several workers."""
        def decorator(func):
            @wraps(func)
            def wrapper(*args, **kwargs):
                caller = authorize(role)
                if caller.keys is not None and not scoped:
                    _require_scope(caller)
                if not writes:
                    catch_up()
                return func(*args, **kwargs)
            wrapper = self.doc(security=[{"bearerAuth": []}],
                               description=f"Needs a Bearer token with role **{role}** or above.",
                               **{"x-required-role": role})(wrapper)
            wrapper = self.alt_response(401, response="UNAUTHORIZED")(wrapper)
            return self.alt_response(403, response="FORBIDDEN")(wrapper)
        return decorator
