"""What can be stored: the column sizes of db/models.py (which takes them from here) and the
text and nesting every value must keep, checked before the database sees anything.

PostgreSQL enforces column sizes and refuses NUL characters and unpaired surrogates that
SQLite would keep, so checking here is what makes both databases answer alike.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import UnstorableText

KEY_MAX = 128         # a configuration key
USER_MAX = 200        # who made a change (a token's subject)
UNIT_MAX = 32         # a rule's unit
UNIT_ID_MAX = 200     # a unit (a client id) in an experiment's events
LABEL_MAX = 64        # an experiment's variant, metric, salt and layer names
PATTERN_MAX = 500     # a rule's regular expression
MATCHED_MAX = 16_384  # the longest string matched against a pattern (domain/patterns.py)
NAME_MAX = 16         # value types, sources, actions, origins: words of our own
REQUEST_ID_MAX = 64
BATCH_ID_MAX = 36     # a UUID
HOST_ID_MAX = 32
TEMPLATE_NAME_MAX = 64  # a template's name (domain/templates.py)
STEP_ID_MAX = 128       # a config-migration step's id (domain/key_migrations.py)
# Deeper than any configuration needs, and far from the recursion limit of the json module
# and of copy.deepcopy, which recurse per level.
JSON_DEPTH_MAX = 32


def text_problem(text: Any, max_length: int | None = None) -> str | None:
    """Why `text` cannot be stored as text, or None."""
    if not isinstance(text, str):
        return "must be text"
    if max_length is not None and len(text) > max_length:
        return f"must be at most {max_length} characters"
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds a lone surrogate)"
    return None


def value_problem(value: Any) -> str | None:
    """Why a value (JSON of any shape) cannot be stored, or None: nested deeper than
    JSON_DEPTH_MAX, or holding a string (member or name) that text_problem refuses. It walks
    with a list rather than recursion, so no depth of input makes it fail."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                return problem
        elif isinstance(item, (dict, list, tuple)):
            if depth > JSON_DEPTH_MAX:
                return f"must not be nested more than {JSON_DEPTH_MAX} levels deep"
            members = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((member, depth + 1) for member in members)
    return None


def check_texts(texts: Mapping[str, tuple[Any, int | None]]) -> None:
    """UnstorableText naming each field of `texts` ({name: (text or None, max length)}) that
    cannot be stored."""
    errors = {name: [problem] for name, (text, limit) in texts.items()
              if text is not None and (problem := text_problem(text, limit))}
    if errors:
        raise UnstorableText(errors)
