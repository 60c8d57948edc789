"""Change notifications: the change log."""
from .routes import blp

__all__ = ["blp"]
