"""gunicorn entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""
from lazyconfig import create_app
from lazyconfig.logs import configure

# The server's logs go to stderr as JSON lines (LAZYCONFIG_LOG_FORMAT=text for plain text):
# one per request, one per configuration change, and errors with their request ids.
configure()
app = create_app()
