"""PEP 3333's environ for an ASGI HTTP scope (https://peps.python.org/pep-3333/#environ-variables)."""
from __future__ import annotations

import sys
from typing import IO, Any

_SPECIAL = {b"content-type": "CONTENT_TYPE", b"content-length": "CONTENT_LENGTH"}


def wsgi_environ(scope: dict[str, Any], body: IO[bytes]) -> dict[str, Any]:
    """The environ of the request `scope` describes, reading its body from `body`. The
    scope itself travels as environ["asgi.scope"] (as a2wsgi names it too)."""
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": _latin1(scope.get("root_path", "")),
        "PATH_INFO": _latin1(scope["path"]),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1] or 0),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "asgi.scope": scope,
    }
    if scope.get("client"):
        environ["REMOTE_ADDR"], port = scope["client"]
        environ["REMOTE_PORT"] = str(port)
    for name, value in scope["headers"]:
        key = _SPECIAL.get(name) or "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]},{text}" if key in environ else text
    return environ


def _latin1(text: str) -> str:
    """WSGI's "bytes as latin-1" form of a decoded path."""
    return text.encode("utf-8").decode("latin-1")
