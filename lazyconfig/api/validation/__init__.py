"""Checking a value against its key's rule without applying it."""
from .routes import blp

__all__ = ["blp"]
