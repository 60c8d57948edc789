"""The backups resource."""
from .routes import blp

__all__ = ["blp"]
