"""Routes of change policies and change requests: each parses, calls the engine once,
serializes (sensitive values masked as for any read)."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_caller, current_user
from ..blueprint import Blueprint
from ..context import engine, request_id
from .gate import shown
from .schemas import (EDIT_EXAMPLE, POLICY_EXAMPLE, ChangeRequestEditSchema,
                      ChangeRequestPageSchema, ChangeRequestSchema, ReviewDecisionSchema,
                      PoliciesSchema, PolicyListSchema, StateQuerySchema)

blp = Blueprint("change_requests", __name__,
                "Change policies, four-eyes change requests and scheduled apply")
CONFLICT = "the request is not in a state that allows this, or changed meanwhile"
NOT_YOURS = "four eyes: nobody approves their own request; only its author edits it"


@blp.route("/policies")
class Policies(MethodView):
    @blp.requires("viewer")
    @blp.response(200, PolicyListSchema)
    def get(self):
        """The rules naming keys whose writes need approval, and how many approvals"""
        return {"rules": engine().policies()}

    @blp.requires("admin", writes=True)
    @blp.arguments(PoliciesSchema, example=POLICY_EXAMPLE)
    @blp.response(200, PolicyListSchema)
    def put(self, body):
        """Replace every policy rule (audited as `policy.set`)"""
        return {"rules": engine().put_policies(body["rules"], user=current_user(),
                                               request_id=request_id())}


@blp.route("/change-requests")
class ChangeRequests(MethodView):
    @blp.requires("viewer")
    @blp.arguments(StateQuerySchema, location="query")
    @blp.response(200, ChangeRequestPageSchema)
    @blp.paginate(page_size=50, max_page_size=500)
    def get(self, query, pagination_parameters):
        """Change requests, newest first; `state=review` lists break-glass writes"""
        page = pagination_parameters
        items, total = engine().change_requests(query["state"], page.page_size,
                                                page.first_item)
        page.item_count = total
        return {"change_requests": [shown(item) for item in items], "total": total}


@blp.route("/change-requests/<id:change_id>")
class ChangeRequest(MethodView):
    @blp.requires("viewer")
    @blp.response(200, ChangeRequestSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, change_id):
        """One change request: its diff, expected versions, approvals and state"""
        return shown(engine().change_request(change_id))

    @blp.requires("editor", writes=True)
    @blp.arguments(ChangeRequestEditSchema, example=EDIT_EXAMPLE)
    @blp.response(200, ChangeRequestSchema)
    @blp.alt_response(400, response="BAD_REQUEST", description="a value breaks its rule")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description=CONFLICT)
    def put(self, body, change_id):
        """Replace an open request's content (its author only): approvals given before
        no longer count, and the expected versions are taken again"""
        updates = body["updates"]
        return shown(engine().edit_change_request(
            change_id, [(u["key"], u.get("value"), None) for u in updates if not u["unset"]],
            unsets=[u["key"] for u in updates if u["unset"]], user=current_user(),
            description=body["description"], scheduled_at=body["scheduled_at"],
            request_id=request_id()))


def _decision(path: str, summary: str, statuses: dict[int, str]):
    """A POST /change-requests/{id}/<path> view calling `decide(change_id, body)`."""
    def register(decide):
        class Decision(MethodView):
            @blp.requires("editor", writes=True)
            @blp.arguments(ReviewDecisionSchema, example={"reason": None})
            @blp.response(200, ChangeRequestSchema)
            @blp.alt_response(404, response="NOT_FOUND")
            def post(self, body, change_id):
                return shown(decide(change_id, body))
        for status, description in statuses.items():
            Decision.post = blp.alt_response(status, response=_RESPONSES[status],
                                             description=description)(Decision.post)
        Decision.post.__doc__ = summary
        Decision.__name__ = f"ChangeRequest{path.title()}"
        blp.route(f"/change-requests/<id:change_id>/{path}")(Decision)
        return decide
    return register


_RESPONSES = {400: "BAD_REQUEST", 409: "CONFLICT", 412: "PRECONDITION_FAILED"}


@_decision("approve", "Approve the request's present content (never your own); enough "
           "approvals make it `approved`; a break-glass write under review becomes `reviewed`",
           {409: CONFLICT})
def _approve(change_id, body):
    return engine().approve_change_request(change_id, user=current_user(),
                                           request_id=request_id())


@_decision("reject", "Reject an open request (someone other than its author)", {409: CONFLICT})
def _reject(change_id, body):
    return engine().reject_change_request(change_id, user=current_user(), reason=body["reason"],
                                          request_id=request_id())


@_decision("apply", "Apply an approved request now: one write attributed to its author, "
           "naming its approvers; 412 (and the request refused) when a key moved since",
           {400: "a value breaks today's rule", 409: CONFLICT,
            412: "a key is no longer at its expected version; nothing was applied"})
def _apply(change_id, body):
    return engine().apply_change_request(change_id, user=current_user(),
                                         request_id=request_id())


@_decision("cancel", "Withdraw an open request (its author, or an admin)", {409: CONFLICT})
def _cancel(change_id, body):
    caller = current_caller()
    return engine().cancel_change_request(change_id, user=current_user(),
                                          admin=caller.role == "admin",
                                          request_id=request_id())
