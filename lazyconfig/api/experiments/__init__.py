"""Experiments: variants of a key's value for shares of the clients, their events and results."""
from .routes import blp

__all__ = ["blp"]
