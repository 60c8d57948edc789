"""Template expressions: a tiny arithmetic language over parameters, parsed with `ast` and
evaluated by walking the tree, never by `eval` (docs/templates.md, "Derived values").

Allowed: numbers, parameter names, + - * / // (and unary minus), parentheses, and the calls
min(a, b, ...), max(a, b, ...) and round(x), which gives an int. Anything else is refused
when the template is defined.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Any, Iterable, Mapping

from ..errors import InvalidDocument

EXPRESSION_MAX = 200  # characters
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv}
_CALLS = {"min": (min, 2), "max": (max, 2), "round": (round, 1)}  # name: (function, fewest args)


class Expression:
    """A parsed expression; `names` are the parameters it reads."""

    def __init__(self, text: Any, allowed: Iterable[str]):
        if not isinstance(text, str) or not 0 < len(text) <= EXPRESSION_MAX:
            raise InvalidDocument(f"an expression is a text of 1 to {EXPRESSION_MAX} characters")
        try:
            self._tree = ast.parse(text, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise InvalidDocument(f"expression {text!r} is not valid syntax") from None
        self.text, self.names = text, set()
        self._check(self._tree, set(allowed))

    def _check(self, node: ast.AST, allowed: set[str]) -> None:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return
        if isinstance(node, ast.Name):
            if node.id not in allowed:
                raise InvalidDocument(f"expression {self.text!r} names {node.id!r}, which is "
                                      "not a parameter of the template")
            self.names.add(node.id)
            return
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._check(node.left, allowed)
            self._check(node.right, allowed)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            self._check(node.operand, allowed)
            return
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in _CALLS and not node.keywords
                and len(node.args) >= _CALLS[node.func.id][1]
                and (node.func.id != "round" or len(node.args) == 1)):
            for arg in node.args:
                self._check(arg, allowed)
            return
        raise InvalidDocument(f"expression {self.text!r} may hold only numbers, parameter "
                              "names, + - * / //, min(), max() and round()")

    def evaluate(self, params: Mapping[str, Any]) -> int | float:
        """The value for these parameter values; InvalidDocument on a division by zero, a
        non-number parameter or a result that is not a finite number."""
        try:
            result = self._value(self._tree, params)
        except ZeroDivisionError:
            raise InvalidDocument(f"expression {self.text!r} divides by zero") from None
        except OverflowError:
            result = math.inf
        if isinstance(result, float) and not math.isfinite(result):
            raise InvalidDocument(f"expression {self.text!r} gives no finite number")
        return result

    def _value(self, node: ast.AST, params: Mapping[str, Any]) -> int | float:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            value = params[node.id]
            if type(value) not in (int, float):
                raise InvalidDocument(f"expression {self.text!r} needs {node.id!r} to be "
                                      "a number")
            return value
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._value(node.left, params),
                                          self._value(node.right, params))
        if isinstance(node, ast.UnaryOp):
            return -self._value(node.operand, params)
        function = _CALLS[node.func.id][0]
        return function(*(self._value(arg, params) for arg in node.args))
