"""Templates: named, versioned sets of values, applied as one validated batch."""
from .routes import blp

__all__ = ["blp"]
