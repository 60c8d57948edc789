"""`--merge`: scenarios run again replace theirs; the others keep theirs, and say which run
measured them."""
from __future__ import annotations

import pytest

from bench.runner import merged

pytestmark = pytest.mark.database_independent


def test_a_merged_run_replaces_only_the_scenarios_it_ran():
    first = {"machine": {"git_revision": "aaa"},
             "scenarios": {"2 http_read": {"rows": ["old read"]},
                           "3 http_write": {"rows": ["old write"]}}}
    second = {"machine": {"git_revision": "bbb"}, "settings": {"runs": 5},
              "scenarios": {"3 http_write": {"rows": ["new write"]}}}
    result = merged(first, second)
    assert result["runs"] == [{"git_revision": "aaa"}, {"git_revision": "bbb"}]
    assert result["scenarios"]["2 http_read"] == {"run": 0, "rows": ["old read"]}
    assert result["scenarios"]["3 http_write"] == {"run": 1, "rows": ["new write"]}
    third = merged(result, {"machine": {"git_revision": "ccc"},
                            "scenarios": {"2 http_read": {"rows": ["newer read"]}}})
    assert [run["git_revision"] for run in third["runs"]] == ["aaa", "bbb", "ccc"]
    assert third["scenarios"]["2 http_read"]["run"] == 2
    assert third["scenarios"]["3 http_write"]["run"] == 1
