"""Whole-configuration operations: reset, export and import."""
from .routes import blp

__all__ = ["blp"]
