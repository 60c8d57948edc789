"""The configuration system's status: summary statistics and validation status."""
from .routes import blp

__all__ = ["blp"]
