"""The operator console at /console: server-rendered pages and small plain JavaScript
modules, a client of the public REST API and change stream like any other, with the same
roles (docs/console.md)."""
from .routes import bp, init_app

__all__ = ["bp", "init_app"]
