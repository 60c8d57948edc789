"""Declarative validation rules: how an admin defines a custom key over HTTP."""
from .routes import blp

__all__ = ["blp"]
