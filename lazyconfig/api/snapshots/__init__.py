"""Snapshots of the persisted layers, and rolling back to them."""
from .routes import blp

__all__ = ["blp"]
