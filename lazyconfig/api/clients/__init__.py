"""Named watchers: GET /clients, POST /clients/{id}/report, GET /notifications/{revision}/delivery."""
from .routes import blp

__all__ = ["blp"]
