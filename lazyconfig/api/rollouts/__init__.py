"""Rollouts: new values reaching a growing share of the clients, step by step."""
from .routes import blp

__all__ = ["blp"]
