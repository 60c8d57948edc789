"""Change analytics: aggregates of the change log (docs/console.md, "Change analytics")."""
from .routes import blp

__all__ = ["blp"]
