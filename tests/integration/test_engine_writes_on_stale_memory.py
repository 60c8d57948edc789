"""A write decides on state caught up under the write lock, never on what this process's
memory held when the call arrived. The second engine here has no watcher, so it hears of the
first engine's writes only when one of its own writes catches up: every write must still
find the key the first engine created, and a refusal must describe the database as it is."""
from __future__ import annotations

import pytest

from lazyconfig import ConfigurationValidationRule, create_app
from lazyconfig.domain import MASK
from lazyconfig.errors import PreconditionFailed
from tests.conftest import PREFIX, SECRET

NEW = "feature_level"
LOADS = "max_concurrent_loads"


@pytest.fixture
def first(make_engine):
    return make_engine()


@pytest.fixture
def second(make_engine, first):
    return make_engine(watch=False)  # learns of others' writes only inside its own writes


def define(engine, sensitive: bool = False) -> int:
    """Create NEW with a runtime value of 5 through `engine`; returns that value's revision."""
    engine.put_rule(ConfigurationValidationRule(key=NEW, default_value=1, min_value=0,
                                                max_value=9, sensitive=sensitive,
                                                description="a level"))
    engine.set(NEW, 5, strict=True)
    return engine.revision


def test_unset_of_a_key_created_elsewhere(first, second):
    define(first)
    written = second.unset(NEW)
    assert (written.entries[NEW].value, written.entries[NEW].source) == (1, "default")
    assert second.get(NEW) == 1


def test_revert_of_a_key_created_elsewhere(first, second):
    at = define(first)
    first.set(NEW, 7, strict=True)
    written = second.revert(NEW, at)
    assert written.entries[NEW].value == 5
    first.refresh()
    assert first.get(NEW) == 5


def test_reset_of_a_key_created_elsewhere(first, second):
    define(first)
    result = second.reset([NEW])
    assert result.reset == [NEW]
    assert second.get(NEW) == 1


def test_rollback_of_a_key_created_elsewhere_masks_its_secret(first, second):
    define(first, sensitive=True)
    snapshot = first.create_snapshot("five")
    first.set(NEW, 7, strict=True)
    preview = second.rollback_to_snapshot(snapshot, keys=[NEW], dry_run=True)
    assert preview.diff == [{"key": NEW, "old_value": MASK, "new_value": MASK,
                             "source": "runtime"}]
    second.rollback_to_snapshot(snapshot, keys=[NEW])
    assert second.get(NEW) == 5


def test_expected_versions_are_checked_against_the_database(first, second):
    define(first)
    version = first.get_entry(NEW).version
    written = second.write_values({NEW: 6}, expected_versions={NEW: version})
    assert written.entries[NEW].value == 6


def test_a_stale_expected_version_is_refused_with_the_current_entry(first, second):
    first.set(LOADS, 3, strict=True)
    second.refresh()
    seen = second.get_entry(LOADS).version
    first.set(LOADS, 4, strict=True)  # the second engine has not heard of this one
    current = first.get_entry(LOADS).version
    with pytest.raises(PreconditionFailed) as refused:
        second.write_values({LOADS: 5}, expected_versions={LOADS: seen - 1})
    assert refused.value.current == {LOADS: current}
    assert refused.value.entries[LOADS].value == 4
    assert second.get(LOADS) == 4


def test_adding_a_validator_keeps_the_rule_stored_elsewhere(first, second):
    define(first)
    second.add_validation_rule(ConfigurationValidationRule(
        key=NEW, default_value=1, max_value=3, validator=lambda v: v != 2))
    first.refresh()
    assert first.get_rule(NEW).max_value == 9  # not replaced by the second engine's
    assert second.get_rule(NEW).max_value == 9
    assert second.validate(NEW, 2) != []


def test_the_api_deletes_and_refuses_on_caught_up_state(first, second, as_role):
    define(first, sensitive=True)
    client = create_app({"LAZYCONFIG_ENGINE": second, "LAZYCONFIG_JWT_SECRET": SECRET,
                         "TESTING": True}).test_client()
    editor = as_role("editor")
    refused = client.put(f"{PREFIX}/values/{NEW}", json={"value": 6},
                         headers={**editor, "If-Match": '"1"'})
    assert refused.status_code == 412
    assert refused.get_json()["errors"]["current"][NEW]["value"] == MASK
    deleted = client.delete(f"{PREFIX}/values/{NEW}", headers=editor)
    assert deleted.status_code == 200, deleted.get_json()
    assert deleted.get_json()["source"] == "default" and second.get(NEW) == 1
