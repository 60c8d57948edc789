"""Service tokens, revocation of signed tokens, who the caller is, and the audit log."""
from .routes import blp

__all__ = ["blp"]
