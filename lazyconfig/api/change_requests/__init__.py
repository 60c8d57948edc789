"""Change policies and four-eyes change requests (docs/change-requests.md)."""
from .routes import blp  # noqa: F401
