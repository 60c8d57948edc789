"""Four-eyes change requests and scheduled apply: the engine's ChangeRequests mixin.

A write to a key a policy covers (or one carrying `scheduled_at`) is held as a change
request: its content (updates, the versions it was made against, its schedule) has a hash,
and an approval counts only for the hash it was given to, so any edit voids it. Applying is
one write through the pipeline, in whose transaction the request moves from `approved` to
`applied` by a conditional UPDATE: of any number of processes applying it, exactly one
writes, and a process killed mid-way leaves it `approved` (docs/change-requests.md).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from functools import partial
from typing import Any, Iterable, Mapping

from ..domain.limits import USER_MAX, check_texts
from ..errors import (ChangeRequestNotFound, Conflict, NotAllowed, PreconditionFailed,
                      UnknownKey, UnstorableText, ValidationFailed)
from . import planning
from .apply import Author, apply
from .validation import Check, checked

PENDING, APPROVED, APPLIED, REFUSED = "pending", "approved", "applied", "refused"
REJECTED, CANCELLED, REVIEW, REVIEWED = "rejected", "cancelled", "review", "reviewed"
STATES = (PENDING, APPROVED, APPLIED, REFUSED, REJECTED, CANCELLED, REVIEW, REVIEWED)
OPEN = (PENDING, APPROVED)
ACTION, BREAK_GLASS = "change_request", "break_glass"
MAX_POLICIES, POLICY_PATTERN_CHARS, MAX_APPROVALS = 100, 200, 10


def content_hash(source: str, updates: list[dict], expected: Mapping[str, int],
                 scheduled_at: datetime | None, description: str | None) -> str:
    """The SHA-256 of what a request would write, against what, and when."""
    content = {"source": source, "updates": updates, "expected_versions": dict(expected),
               "scheduled_at": None if scheduled_at is None else scheduled_at.isoformat(),
               "description": description}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def approvals_for(policies: Iterable[Mapping], keys: Iterable[str]) -> int:
    """The most approvals any policy covering one of `keys` asks for (0: none covers them)."""
    keys = list(keys)
    return max((p["approvals"] for p in policies
                if any(fnmatchcase(key, p["pattern"]) for key in keys)), default=0)


def check_policies(rules: list[Mapping]) -> list[tuple[str, int]]:
    """The rules as (pattern, approvals); UnstorableText unless each is a usable rule."""
    problems = {}
    if len(rules) > MAX_POLICIES:
        problems["rules"] = [f"at most {MAX_POLICIES} rules"]
    for index, rule in enumerate(rules):
        pattern, approvals = rule.get("pattern"), rule.get("approvals")
        if not (isinstance(pattern, str) and 0 < len(pattern) <= POLICY_PATTERN_CHARS
                and pattern.isprintable()):
            problems[f"rules.{index}.pattern"] = [
                f"a glob pattern of 1 to {POLICY_PATTERN_CHARS} printable characters"]
        if not (isinstance(approvals, int) and 1 <= approvals <= MAX_APPROVALS):
            problems[f"rules.{index}.approvals"] = [f"from 1 to {MAX_APPROVALS}"]
    if problems:
        raise UnstorableText(problems, "these policies cannot be stored")
    return [(rule["pattern"], rule["approvals"]) for rule in rules]


def approvers(record: Mapping) -> list[str]:
    """Who approved the request's present content."""
    return [a["user"] for a in record["approvals"] if a["content_hash"] == record["content_hash"]]


def planned_writes(state, updates: list[dict], source: str, expected: Mapping[str, int],
                   check: Check = checked) -> list:
    """The layer writes of `updates` on `state`: every value checked, every key known and
    still at its expected version (ValidationFailed, UnknownKey, PreconditionFailed)."""
    items = [(u["key"], u["value"], None) for u in updates if not u.get("unset")]
    writes = planning.checked_writes(state, items, source, check)
    unsets = [u["key"] for u in updates if u.get("unset")]
    planning.check_known(state, unsets)
    planning.check_versions(state, expected)
    for key in unsets:
        writes += planning.unset_writes(state, key, source)
    return writes


def precheck(state, *, updates: list[dict], source: str, check: Check) -> None:
    """The value checks of `planned_writes`, run before the write lock."""
    items = [(u["key"], u["value"], None) for u in updates if not u.get("unset")]
    planning.checked_writes(state, items, source, check)


def apply_operation(uow, state, *, record: Mapping, author: Author, applied_by: str,
                    check: Check = checked) -> int | None:
    """In the write's transaction: claim the approved request and write its content; the
    revision written (None when nothing changed). Conflict when it is no longer approved."""
    held = uow.change_requests.find(record["id"])  # read under the write lock: the truth
    if held is None or (held["state"], held["content_hash"]) != (APPROVED, record["content_hash"]):
        raise Conflict(f"change request {record['id']} is no longer approved as it was")
    writes = planned_writes(state, record["updates"], record["source"],
                            record["expected_versions"], check)
    changes = apply(uow, state, writes, ACTION, author)
    revision = changes[-1].revision if changes else None
    now = datetime.now(timezone.utc)
    if not uow.change_requests.move(record["id"], [APPROVED], record["content_hash"],
                                    state=APPLIED, applied_at=now, applied_by=applied_by,
                                    applied_revision=revision, updated_at=now):
        raise Conflict(f"change request {record['id']} is no longer approved as it was")
    uow.audit.record(at=now, actor=applied_by, action="cr.apply", subject=_subject(record),
                     request_id=author.request_id, detail={"revision": revision})
    return revision


def break_glass_operation(uow, state, *, fields: dict, author: Author,
                          check: Check = checked) -> dict:
    """In the write's transaction: write at once, and keep the request for review."""
    writes = planned_writes(state, fields["updates"], fields["source"],
                            fields["expected_versions"], check)
    changes = apply(uow, state, writes, BREAK_GLASS, author)
    record = uow.change_requests.add(
        **fields, state=REVIEW, applied_at=fields["created_at"], applied_by=author.user,
        applied_revision=changes[-1].revision if changes else None)
    uow.audit.record(at=fields["created_at"], actor=author.user, action="cr.break_glass",
                     subject=_subject(record), request_id=author.request_id,
                     detail={"reason": fields["break_glass"]})
    return record


def _subject(record: Mapping) -> str:
    return f"change-request:{record['id']}"


def _description(record: Mapping) -> str:
    """What the applied write's change-log rows say of who asked and who approved."""
    said = (f"change request #{record['id']} by {record['author']}, approved by "
            f"{', '.join(approvers(record)) or 'no one (no approval needed)'}")
    return said + (f": {record['description']}" if record["description"] else "")


def _updates(updates: Mapping[str, Any] | Iterable, unsets: Iterable[str]) -> list[dict]:
    items = planning.update_items(updates)
    listed = [{"key": key, "value": value} for key, value, _ in items]
    listed += [{"key": key, "unset": True} for key in unsets]
    keys = [u["key"] for u in listed]
    if not listed or len(set(keys)) != len(keys):
        raise UnstorableText({"updates": ["one or more keys, each once"]},
                             "this change request cannot be made")
    return listed


def _found(uow, request_id: int) -> dict:
    record = uow.change_requests.find(request_id)
    if record is None:
        raise ChangeRequestNotFound(request_id)
    return record


def _in_state(record: Mapping, states: Iterable[str], doing: str) -> None:
    if record["state"] not in states:
        raise Conflict(f"change request {record['id']} is {record['state']}: it cannot be "
                       f"{doing}")


class ChangeRequests:
    """The engine's change policies, change requests and their scheduled apply
    (ConfigurationEngine mixes this in; it uses `self.storage`, `self.pipeline` and
    `self.replica`)."""

    def policies(self) -> list[dict[str, Any]]:
        with self.storage.reading() as uow:
            return uow.policies.all()

    def put_policies(self, rules: list[Mapping], *, user: str | None = None,
                     request_id: str | None = None) -> list[dict[str, Any]]:
        """Replace every policy rule at once (audited as `policy.set`)."""
        checked_rules, now = check_policies(rules), datetime.now(timezone.utc)
        with self.storage.writing() as uow:
            uow.policies.replace(checked_rules, now, user)
            uow.audit.record(at=now, actor=user, action="policy.set", subject="policies",
                             request_id=request_id,
                             detail={"rules": [list(rule) for rule in checked_rules]})
            uow.commit()
            return uow.policies.all()

    def approvals_needed(self, keys: Iterable[str]) -> int:
        """How many approvals a write of `keys` needs (0: it may apply now)."""
        return approvals_for(self.policies(), keys)

    def propose(self, updates: Mapping[str, Any] | Iterable = (), *, unsets: Iterable[str] = (),
                source: str = "runtime", user: str | None = None,
                description: str | None = None,
                expected_versions: Mapping[str, int] | None = None,
                scheduled_at: datetime | None = None, request_id: str | None = None,
                break_glass: str | None = None) -> dict[str, Any]:
        """Hold a write as a change request (or, with an admin's `break_glass` reason, apply
        it now and keep it for review). Its values are checked now, and again when applied;
        the versions it is made against are those given, else the current ones."""
        fields = self._request_fields(_updates(updates, unsets), source, user, description,
                                      expected_versions, scheduled_at)
        author = Author(fields["author"], description, request_id)
        if break_glass is not None:
            check_texts({"reason": (break_glass, 2000)})
            if not break_glass.strip():
                raise UnstorableText({"break_glass": ["the reason"]}, "say why the glass broke")
            author = Author(author.user, f"break-glass: {break_glass}"
                            + (f": {description}" if description else ""), request_id)
            return self.pipeline.run(partial(
                break_glass_operation, fields={**fields, "break_glass": break_glass},
                author=author), action=BREAK_GLASS, precheck=partial(
                precheck, updates=fields["updates"], source=source)).result
        state = APPROVED if fields["approvals_needed"] == 0 else PENDING
        with self.storage.writing() as uow:
            record = uow.change_requests.add(**fields, state=state)
            uow.audit.record(at=fields["created_at"], actor=fields["author"],
                             action="cr.create", subject=_subject(record),
                             request_id=request_id, detail={"state": state})
            uow.commit()
        self.wake_scheduler()
        return record

    def _request_fields(self, updates: list[dict], source: str, user: str | None,
                        description: str | None, expected: Mapping[str, int] | None,
                        scheduled_at: datetime | None) -> dict[str, Any]:
        planning.check_source(source)
        author = user or self.default_user
        check_texts({"user": (author, USER_MAX), "description": (description, None)})
        self.catch_up()  # another worker may have just defined a key, or moved a version
        state = self.replica.state
        precheck(state, updates=updates, source=source, check=checked)
        keys = [u["key"] for u in updates]
        planning.check_known(state, keys)
        versions = {key: planning.version(state, key) for key in keys}
        versions.update(expected or {})
        shown = state.entries
        diff = [{"key": u["key"], "before": shown[u["key"]].value if u["key"] in shown else None,
                 "after": u.get("value"), "unset": bool(u.get("unset"))} for u in updates]
        now = datetime.now(timezone.utc)
        return {"author": author, "created_at": now, "updated_at": now,
                "description": description, "source": source, "updates": updates,
                "expected_versions": versions, "diff": diff, "approvals": [],
                "content_hash": content_hash(source, updates, versions, scheduled_at,
                                             description),
                "approvals_needed": self.approvals_needed(keys), "scheduled_at": scheduled_at}

    def change_requests(self, state: str | None = None, limit: int = 50,
                        offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Change requests, newest first (of one state, or all), and how many there are."""
        with self.storage.reading() as uow:
            return uow.change_requests.page(state, limit, offset)

    def change_request(self, change_id: int) -> dict[str, Any]:
        with self.storage.reading() as uow:
            return _found(uow, change_id)

    def edit_change_request(self, change_id: int, updates: Mapping[str, Any] | Iterable = (),
                            *, unsets: Iterable[str] = (), user: str | None = None,
                            description: str | None = None,
                            expected_versions: Mapping[str, int] | None = None,
                            scheduled_at: datetime | None = None,
                            request_id: str | None = None) -> dict[str, Any]:
        """Replace an open request's content (its author only); approvals given to the
        old content no longer count."""
        current = self.change_request(change_id)
        fields = self._request_fields(_updates(updates, unsets), current["source"], user,
                                      description, expected_versions, scheduled_at)
        if fields["author"] != current["author"]:
            raise NotAllowed(f"only {current['author']} may edit change request {change_id}")
        fields.pop("created_at")
        fields.pop("approvals")
        state = APPROVED if fields["approvals_needed"] == 0 else PENDING
        return self._move(current, OPEN, "edited", "cr.edit", fields["author"], request_id,
                          state=state, **fields)

    def approve_change_request(self, change_id: int, *, user: str,
                               request_id: str | None = None) -> dict[str, Any]:
        """Approve the request's present content. NotAllowed for its author, whatever the
        role; a request kept for review after a break-glass write becomes `reviewed`."""
        current = self.change_request(change_id)
        if user == current["author"]:
            raise NotAllowed("nobody approves their own change request")
        if current["state"] == REVIEW:
            return self._move(current, [REVIEW], "reviewed", "cr.review", user, request_id,
                              state=REVIEWED, decided_by=user)
        _in_state(current, [PENDING], "approved")
        given = [a for a in current["approvals"] if a["user"] != user
                 or a["content_hash"] != current["content_hash"]]
        given.append({"user": user, "content_hash": current["content_hash"],
                      "at": datetime.now(timezone.utc).isoformat()})
        enough = len({a["user"] for a in given if a["content_hash"] == current["content_hash"]}
                     ) >= current["approvals_needed"]
        record = self._move(current, [PENDING], "approved", "cr.approve", user, request_id,
                            approvals=given, state=APPROVED if enough else PENDING)
        if enough:
            self.wake_scheduler()
        return record

    def reject_change_request(self, change_id: int, *, user: str, reason: str | None = None,
                              request_id: str | None = None) -> dict[str, Any]:
        """Close an open request unapplied; its author cancels instead."""
        current = self.change_request(change_id)
        if user == current["author"]:
            raise NotAllowed("the author cancels a change request; others reject it")
        return self._move(current, OPEN, "rejected", "cr.reject", user, request_id,
                          state=REJECTED, reason=reason, decided_by=user)

    def cancel_change_request(self, change_id: int, *, user: str, admin: bool = False,
                              request_id: str | None = None) -> dict[str, Any]:
        """Withdraw an open request: its author, or an admin."""
        current = self.change_request(change_id)
        if user != current["author"] and not admin:
            raise NotAllowed(f"only {current['author']} or an admin may cancel this request")
        return self._move(current, OPEN, "cancelled", "cr.cancel", user, request_id,
                          state=CANCELLED, decided_by=user)

    def _move(self, current: Mapping, states: Iterable[str], doing: str, action: str,
              actor: str, request_id: str | None, **values: Any) -> dict[str, Any]:
        """Move the request if it is still as read (Conflict otherwise), audited."""
        _in_state(current, states, doing)
        now = datetime.now(timezone.utc)
        with self.storage.writing() as uow:
            if not uow.change_requests.move(current["id"], states, current["content_hash"],
                                            **{"updated_at": now, **values}):
                raise Conflict(f"change request {current['id']} changed meanwhile: read it "
                               "again")
            uow.audit.record(at=now, actor=actor, action=action, subject=_subject(current),
                             request_id=request_id, detail={"state": values.get("state")})
            uow.commit()
            return _found(uow, current["id"])

    def apply_change_request(self, change_id: int, *, user: str | None = None,
                             request_id: str | None = None) -> dict[str, Any]:
        """Apply an approved request now, as one write attributed to its author and naming
        its approvers. If its expected versions no longer hold, it is refused (recorded)
        and PreconditionFailed raised: nothing is applied."""
        current = self.change_request(change_id)
        _in_state(current, [APPROVED], "applied")
        if current["scheduled_at"] and current["scheduled_at"] > datetime.now(timezone.utc):
            raise Conflict(f"change request {change_id} is scheduled for "
                           f"{current['scheduled_at'].isoformat()}: it applies then")
        return self._apply(current, user or self.default_user, request_id)

    def _apply(self, current: dict, applied_by: str, request_id: str | None) -> dict:
        author = Author(current["author"], _description(current), request_id)
        try:
            self.pipeline.run(partial(apply_operation, record=current, author=author,
                                      applied_by=applied_by), action=ACTION,
                              precheck=partial(precheck, updates=current["updates"],
                                               source=current["source"]))
        except (PreconditionFailed, ValidationFailed, UnknownKey) as exc:
            self._refuse(current, exc.message, applied_by, request_id)
            raise
        return self.change_request(current["id"])

    def _refuse(self, current: Mapping, reason: str, by: str, request_id: str | None) -> None:
        now = datetime.now(timezone.utc)
        with self.storage.writing() as uow:
            if uow.change_requests.move(current["id"], [APPROVED], current["content_hash"],
                                        state=REFUSED, reason=reason, decided_by=by,
                                        updated_at=now):
                uow.audit.record(at=now, actor=by, action="cr.refuse",
                                 subject=_subject(current), request_id=request_id,
                                 detail={"reason": reason})
                uow.commit()

    def apply_due_requests(self, claimer: str) -> list[int]:
        """Apply every approved request now due (the scheduler's step); the ids this call
        applied. A request another process applied first, or one refused, is skipped."""
        with self.storage.reading() as uow:
            due = uow.change_requests.due(datetime.now(timezone.utc))
        applied = []
        for change_id in due:
            try:
                current = self.change_request(change_id)
                if current["state"] == APPROVED:
                    self._apply(current, claimer, None)
                    applied.append(change_id)
            except (Conflict, ValidationFailed, UnknownKey):
                continue  # applied elsewhere, or refused with its reason recorded
        return applied

    def next_due(self) -> datetime | None:
        with self.storage.reading() as uow:
            return uow.change_requests.next_due()

    def wake_scheduler(self) -> None:
        scheduler = self.__dict__.get("_scheduler")
        if scheduler is not None:
            scheduler.wake()

    def start_scheduler(self, claimer: str) -> None:
        """Apply due requests from a thread of this process until the engine closes."""
        from .scheduler import Scheduler
        scheduler = self.__dict__.setdefault("_scheduler", Scheduler(self, claimer))
        scheduler.start()
        self._closers.append(scheduler.stop)
