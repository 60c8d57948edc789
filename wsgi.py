"""gunicorn entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""
import logging
import os

from lazyconfig import create_app

# The server's own logs (500s with their request ids, secret notices) go to stderr, beside
# gunicorn's error log.
logging.basicConfig(level=os.environ.get("LAZYCONFIG_LOG_LEVEL", "INFO").upper(),
                    format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
app = create_app()
