"""gunicorn entry point: `gunicorn wsgi:app`."""
from lazyconfig import create_app

app = create_app()
