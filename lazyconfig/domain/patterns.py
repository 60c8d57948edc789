"""Rule patterns, matched by RE2: in time linear in the value's length, whatever the
pattern, so no pattern can stall a worker or a write (docs/architecture.md, "Rule
patterns"). RE2 has no backreferences and no lookarounds; a pattern that uses them, or that
is not a regular expression at all, is refused when its rule is defined."""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import re2

from .limits import MATCHED_MAX

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the caller's error, not a log line
_OPTIONS.never_capture = True  # we only ask whether it matches: the fastest engine
# RE2 stops compiling past this budget: `(.{0,1000})` 45 times took 8 s with the default.
_OPTIONS.max_mem = 1 << 20
Matcher = Callable[[str], bool]


@lru_cache(maxsize=256)  # every state a process builds holds its rules again
def compile_pattern(pattern: str) -> tuple[Matcher | None, str | None]:
    """(whether a string matches `pattern` in full, None), or (None, why RE2 refuses it)."""
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return None, f"is not a pattern RE2 accepts: {reason}"
    except (TypeError, ValueError) as exc:  # not text, or text that is not Unicode
        return None, f"is not a pattern RE2 accepts: {exc}"
    return (lambda text: compiled.fullmatch(text) is not None), None


def match_problem(matches: Matcher, pattern: str, value: str) -> str | None:
    """Why `value` fails `pattern`, or None; a value over MATCHED_MAX characters is never
    matched, so the time a match takes is bounded too."""
    if len(value) > MATCHED_MAX:
        return (f"must be at most {MATCHED_MAX} characters to be matched against the "
                f"pattern {pattern!r}")
    return None if matches(value) else f"must match the pattern {pattern!r}"
