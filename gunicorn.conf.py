"""gunicorn settings for lazyconfig from the checkout: `gunicorn -c gunicorn.conf.py wsgi:app`.

They live in the package (lazyconfig/gunicorn_conf.py) so that `lazyconfig serve` from an
installed wheel uses the same ones. Override any of them on the command line
(`--bind 0.0.0.0:7000`, `--workers 4`) or with GUNICORN_CMD_ARGS; WEB_CONCURRENCY sets the
worker count.
"""
from lazyconfig.gunicorn_conf import *  # noqa: F401,F403  (gunicorn reads this module's names)
