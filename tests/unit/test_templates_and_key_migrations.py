"""Template expressions and definitions, and config-migration steps, as pure functions."""
from __future__ import annotations

import pytest

from lazyconfig.domain.expressions import Expression
from lazyconfig.domain.key_migrations import Merge, Rename, Retire, Transform
from lazyconfig.domain.templates import define
from lazyconfig.errors import InvalidDocument

NAMES = {"budget", "ratio"}


@pytest.mark.parametrize("text,value", [
    ("budget // 16", 64), ("budget / 4", 256.0), ("max(budget // 1024, 65536)", 65536),
    ("min(budget, 10) - -2", 12), ("round(budget * ratio)", 512), ("(budget + 1) * 2", 2050),
    ("1e3", 1000.0)])
def test_expressions_compute_from_parameters(text, value):
    result = Expression(text, NAMES).evaluate({"budget": 1024, "ratio": 0.5})
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "budget ** 2", "budget.real", "open('x')",
    "budget if ratio else 1", "budget < 2", "[budget]", "lambda: 1", "'text'", "True",
    "other + 1", "max()", "round(budget, 2)", "max(budget, key=1)", "budget; 1", "",
    "1" * 201, "(" * 150 + "1" + ")" * 150])
def test_expressions_refuse_everything_else(text):
    with pytest.raises(InvalidDocument):
        Expression(text, NAMES)


def test_evaluation_refuses_what_gives_no_number():
    with pytest.raises(InvalidDocument):
        Expression("budget // (ratio - ratio)", NAMES).evaluate({"budget": 1, "ratio": 1})
    with pytest.raises(InvalidDocument):
        Expression("ratio * 1e308 * 10", NAMES).evaluate({"budget": 1, "ratio": 1.0})


def test_parameters_are_read_by_their_declared_type():
    template = define({"name": "t", "params": {
        "n": {"type": "int", "default": 2, "min": 1, "max": 10},
        "on": {"type": "bool", "default": False}, "f": {"type": "float", "default": 1}},
        "values": {"a": 1}, "derived": {"b": "n * f"}}, {"a", "b"})
    assert template.resolve({"n": "4", "on": "yes"}) == {"a": 1, "b": 4.0}
    for bad in ({"n": "four"}, {"n": 11}, {"n": 2.5}, {"on": "maybe"}, {"x": 1},
                {"n": True}, {"f": float("nan")}, {"n": 10 ** 400}, {"f": "inf"}):
        with pytest.raises(InvalidDocument):
            template.resolve(bad)


def test_steps_on_layers_and_templates():
    data = {"a": {"runtime": 1, "service": 2}, "b": {"runtime": 9}, "c": {"service": "X"}}
    assert Rename("r", old="a", new="z").layers(data)["z"] == {"runtime": 1, "service": 2}
    assert Merge("m", keys=("a", "b"), into="b").layers(data) == {
        "b": {"runtime": 9, "service": 2}, "c": {"service": "X"}}
    assert Retire("x", key="c").layers(data).keys() == {"a", "b"}
    assert Transform("t", key="c", converter="map_members",
                     args={"mapping": {"X": "Y"}}).layers(data)["c"] == {"service": "Y"}
    assert Transform("s", key="a", converter="scale", args={"factor": 0.5}).layers(
        data)["a"] == {"runtime": 0.5, "service": 1.0}
    assert Rename("r", old="a", new="z").template({"a": 1}, {"b": "n"}) == ({"z": 1}, {"b": "n"})
    assert Transform("s", key="b", converter="scale", args={"factor": 60}).template(
        {}, {"b": "n // 2"}) == ({}, {"b": "(n // 2) * 60"})
    for bad in ({"converter": "cube", "args": {}}, {"converter": "scale", "args": {}}):
        with pytest.raises(InvalidDocument):
            Transform("bad", key="a", **bad)
