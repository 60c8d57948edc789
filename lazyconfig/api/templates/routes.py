"""Routes of the templates resource. Reads need viewer; applying needs editor, as any
batch write does; defining, replacing and deleting need admin, since a template may hold
sensitive values that editors see masked (docs/templates.md, "Roles")."""
from __future__ import annotations

from flask.views import MethodView

from .. import presenters
from ..auth import current_user
from ..blueprint import Blueprint
from ..context import engine, request_id, sees_sensitive
from .schemas import (APPLY_EXAMPLE, EXAMPLE, REPLACE_EXAMPLE, ApplyResultSchema, ApplySchema,
                      DriftQuerySchema, DriftSchema, TemplateBodySchema, TemplateCreateSchema,
                      TemplateListSchema, TemplateSchema)

blp = Blueprint("templates", __name__, "Templates: named sets of values, applied as one batch")
NAME = [{"in": "path", "name": "name", "description": "a template's name",
         "example": "balanced"}]
REFUSED = "a value breaks today's rules; nothing is changed"


@blp.route("/templates")
class Templates(MethodView):
    @blp.requires("viewer")
    @blp.response(200, TemplateListSchema)
    def get(self):
        """Every template, built-in ones first"""
        return {"templates": engine().list_templates(include_sensitive=sees_sensitive())}

    @blp.requires("admin", writes=True)
    @blp.arguments(TemplateCreateSchema, example=EXAMPLE)
    @blp.response(201, TemplateSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description=REFUSED)
    @blp.alt_response(409, response="CONFLICT", description="the name is taken")
    def post(self, body):
        """Define a template (version 1)"""
        return engine().create_template(body, user=current_user())


@blp.route("/templates/<string:name>", parameters=NAME)
class Template(MethodView):
    @blp.requires("viewer")
    @blp.response(200, TemplateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, name):
        """One template"""
        return engine().get_template(name, include_sensitive=sees_sensitive())

    @blp.requires("admin", writes=True)
    @blp.arguments(TemplateBodySchema, example=REPLACE_EXAMPLE)
    @blp.response(200, TemplateSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description=REFUSED)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="a built-in template")
    def put(self, body, name):
        """Replace a stored template (its version grows by one)"""
        return engine().replace_template(name, body, user=current_user())

    @blp.requires("admin", writes=True)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="a built-in template")
    def delete(self, name):
        """Delete a stored template"""
        engine().delete_template(name, user=current_user())


@blp.route("/templates/<string:name>/apply", parameters=NAME)
class Apply(MethodView):
    @blp.requires("editor", writes=True)
    @blp.arguments(ApplySchema, example=APPLY_EXAMPLE, required=False)
    @blp.response(200, ApplyResultSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description=REFUSED)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(412, response="PRECONDITION_FAILED",
                      description="the configuration moved past `expected_revision`")
    def post(self, body, name):
        """Give the template's keys its values as one atomic batch of runtime overrides,
        after a safety snapshot; `dry_run` only reports the diff"""
        result = engine().apply_template(
            name, body["params"], body["dry_run"], user=current_user(),
            expected_revision=body["expected_revision"], description=body["description"],
            request_id=request_id())
        return presenters.write_result(result)


@blp.route("/templates/<string:name>/drift", parameters=NAME)
class Drift(MethodView):
    @blp.requires("viewer")
    @blp.arguments(DriftQuerySchema, location="query")
    @blp.response(200, DriftSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, name):
        """The keys whose value now differs from what the template would give"""
        return engine().template_drift(name, query["params"],
                                       include_sensitive=sees_sensitive())
