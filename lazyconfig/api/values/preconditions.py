"""If-Match on a value: honoured when sent, never required (the spec's PUT sends none)."""
from __future__ import annotations

import re

from flask import request

from ..schemas import MAX_ID

ETAG_HEADER = {"ETag": {"description": 'the key\'s version, quoted: send it back as If-Match',
                        "schema": {"type": "string", "example": '"42"'}}}
IF_MATCH_PARAMETER = {"in": "header", "name": "If-Match", "required": False,
                      "description": "the ETag you read; the write is refused with 412 if "
                                     "the key changed since",
                      "schema": {"type": "string", "example": '"42"'}}
_NO_VERSION = -1  # matches no key's version, so a malformed If-Match always fails
_VERSION = re.compile(r"[0-9]{1,19}")


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def if_match_version() -> int | None:
    """The version an If-Match header insists on; None when absent or `*`."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    # ASCII digits only, and few enough for a version: str.isdigit() also takes "²", which
    # int() refuses, and int() refuses more than 4,300 digits.
    if not _VERSION.fullmatch(tag) or int(tag) > MAX_ID:
        return _NO_VERSION
    return int(tag)
