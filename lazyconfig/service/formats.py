"""The text formats configuration documents come in: JSON, YAML and TOML.

One parser for the config file layer (sources.py) and for import files (the CLI), so a
file that works as one works as the other.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import PurePath
from typing import Any

import yaml

from ..errors import InvalidDocument

FORMATS = {"json": "json", "yaml": "yaml", "yml": "yaml", "toml": "toml"}


def document_format(name: str) -> str:
    """"json", "yaml" or "toml" for a format's name ("yaml"), a suffix (".yml") or a file
    name ("settings.toml"); InvalidDocument for anything else."""
    found = FORMATS.get((PurePath(name).suffix or name).lower().lstrip("."))
    if found is None:
        raise InvalidDocument(f"unsupported config file type {name!r}: use JSON, YAML or "
                              "TOML (.json, .yaml, .yml or .toml)")
    return found


def parse_document(text: str | bytes, format: str) -> Any:
    """The data in `text`, read as `format` (a name, suffix or file name; see
    document_format). An empty YAML document is an empty mapping. InvalidDocument when the
    text does not parse; the shape of the data is for the caller to check."""
    kind = document_format(format)
    try:
        if kind == "yaml":  # yaml and json read bytes in any UTF encoding themselves
            data = yaml.safe_load(text)
            return {} if data is None else data
        if kind == "json":
            return json.loads(text)
        return tomllib.loads(text.decode() if isinstance(text, bytes) else text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError,
            UnicodeDecodeError, RecursionError) as exc:
        raise InvalidDocument(f"cannot parse {kind.upper()}: {exc}") from exc
