"""Targeting rules of a key, and what decides a key's value for a context."""
from .routes import blp

__all__ = ["blp"]
