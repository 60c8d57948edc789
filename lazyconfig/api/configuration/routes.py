"""POST /reset, /export and /import."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from .. import presenters
from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine, request_id, sees_sensitive
from .schemas import (EXPORT_EXAMPLE, IMPORT_EXAMPLES, DocumentSchema, ImportQuerySchema,
                      ImportResultSchema, ImportSchema, ResetResultSchema, ResetSchema)

blp = Blueprint("configuration", __name__, "Reset, export and import the whole configuration")


@blp.route("/reset")
class Reset(MethodView):
    @blp.requires("admin", writes=True)
    @blp.arguments(ResetSchema, required=False)
    @blp.response(200, ResetResultSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(412, response="PRECONDITION_FAILED",
                      description="the configuration moved past `expected_revision`")
    def post(self, body):
        """Remove runtime overrides (of `keys`, or all) after a safety snapshot"""
        result = engine().reset(body["keys"], user=current_user(),
                                description=body["description"],
                                expected_revision=body["expected_revision"],
                                request_id=request_id())
        return presenters.write_result(result)


@blp.route("/export")
class Export(MethodView):
    @blp.requires("viewer")
    @blp.response(200, DocumentSchema, example=EXPORT_EXAMPLE)
    def post(self):
        """Effective values and sources as a document /import takes (sensitive values
        masked unless you are an admin)"""
        return engine().export(include_sensitive=sees_sensitive())


@blp.route("/import")
class Import(MethodView):
    @blp.requires("admin", writes=True)
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.arguments(ImportSchema, examples=IMPORT_EXAMPLES)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="a value breaks its rule; "
                                                               "nothing is applied")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, query, document):
        """Apply a document's values as runtime overrides, all or nothing: an export
        document, or a flat object of key to value (`dry_run`, in the query or the body,
        reports the diff and changes nothing); with `format`, another system's export"""
        dry_run = document.pop("dry_run") or query["dry_run"]
        expected = document.pop("expected_revision")
        expected = query["expected_revision"] if expected is None else expected
        if query["format"] != "json":  # the body is the other system's file, unparsed
            result = engine().import_from(query["format"], request.get_data(),
                                          prefix=query["prefix"], dry_run=dry_run,
                                          user=current_user(), expected_revision=expected,
                                          request_id=request_id())
            return presenters.write_result(result)
        result = engine().import_configuration(document, dry_run, user=current_user(),
                                               expected_revision=expected,
                                               request_id=request_id())
        return presenters.write_result(result)
