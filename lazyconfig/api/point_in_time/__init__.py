from .routes import blp

__all__ = ["blp"]
