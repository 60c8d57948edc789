"""Change requests under any sequence of proposals, edits, approvals, applies and
conflicting writes: nothing is applied whose content differs from what was approved, no
request is approved by its author, and an apply after a conflicting write changes nothing.
50 derandomized sequences of 4 to 13 steps, on one engine (each sequence starts anew)."""
from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lazyconfig.errors import Conflict, NotAllowed, PreconditionFailed

KEY = "lazy_loading_unloading_check_interval"
USERS = ("alice", "bob", "carol")
VALUES = st.sampled_from([10.0, 20.0, 30.0, 40.0])
STEP_PROPOSE = st.tuples(st.just("propose"), st.sampled_from(USERS), VALUES)
STEP = st.one_of(
    STEP_PROPOSE,
    st.tuples(st.just("edit"), st.integers(0, 2), st.sampled_from(USERS), VALUES),
    st.tuples(st.just("approve"), st.integers(0, 2), st.sampled_from(USERS)),
    st.tuples(st.just("apply"), st.integers(0, 2)),
    st.tuples(st.just("write"), VALUES))


class Model:
    """What each request holds and who approved which content, as the test saw it."""

    def __init__(self, engine, approvals: int):
        self.engine, self.ids, self.approvals = engine, [], approvals
        self.approved: dict[tuple[int, str], set[str]] = {}  # (id, content hash) -> users

    def pick(self, index: int) -> int | None:
        return self.ids[index % len(self.ids)] if self.ids else None

    def step(self, step) -> None:
        kind, *args = step
        event(f"step {kind}")
        getattr(self, kind)(*args)

    def propose(self, user, value):
        self.ids.append(self.engine.propose({KEY: value}, user=user)["id"])

    def edit(self, index, user, value):
        change_id = self.pick(index)
        if change_id is None:
            return
        try:
            self.engine.edit_change_request(change_id, {KEY: value}, user=user)
        except (NotAllowed, Conflict):
            assert user != self.engine.change_request(change_id)["author"] or \
                self.engine.change_request(change_id)["state"] not in ("pending", "approved")

    def approve(self, index, user):
        change_id = self.pick(index)
        if change_id is None:
            return
        before = self.engine.change_request(change_id)
        try:
            after = self.engine.approve_change_request(change_id, user=user)
        except NotAllowed:
            assert user == before["author"]
            return
        except Conflict:
            return
        assert user != before["author"], "an author approved their own request"
        event(f"approved: {after['state']}")
        self.approved.setdefault((change_id, after["content_hash"]), set()).add(user)
        assert before["author"] not in after["approvals"][-1]["user"]

    def apply(self, index):
        change_id = self.pick(index)
        if change_id is None:
            return
        record = self.engine.change_request(change_id)
        revision, value = self.engine.revision, self.engine.get(KEY)
        moved = record["expected_versions"][KEY] != self.engine.get_entry(KEY).version
        try:
            done = self.engine.apply_change_request(change_id, user="applier")
        except PreconditionFailed:
            event("apply refused: a key moved")
            assert moved
            assert (self.engine.revision, self.engine.get(KEY)) == (revision, value)
            return
        except Conflict:
            event(f"apply refused: {record['state']}")
            assert record["state"] != "approved"
            assert (self.engine.revision, self.engine.get(KEY)) == (revision, value)
            return
        event("applied")
        approvers = self.approved.get((change_id, done["content_hash"]), set())
        assert not moved and len(approvers) >= self.approvals, "applied without enough approvals"
        assert record["author"] not in approvers
        assert self.engine.get(KEY) == record["updates"][0]["value"]  # what was approved
        assert done["content_hash"] == record["content_hash"]

    def write(self, value):
        self.engine.set(KEY, value, user="someone", strict=True)


@settings(max_examples=50, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(approvals=st.sampled_from([1, 2]), first=STEP_PROPOSE,
       steps=st.lists(STEP, min_size=3, max_size=12))
def test_only_approved_content_is_ever_applied(engine, approvals, first, steps):
    engine.put_policies([{"pattern": KEY, "approvals": approvals}])
    event(f"approvals {approvals}")
    model = Model(engine, approvals)
    for step in [first, *steps]:
        model.step(step)
