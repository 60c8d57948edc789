"""gunicorn entry point from the checkout: `gunicorn -c gunicorn.conf.py wsgi:app`. The
worker's app is built by the package (lazyconfig/wsgi.py), which `lazyconfig serve` uses."""
from lazyconfig.wsgi import application

app = application()
