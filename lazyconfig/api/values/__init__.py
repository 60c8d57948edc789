"""Configuration values: read, set one, batch, remove an override, history."""
from .routes import blp

__all__ = ["blp"]
