"""The coherence tests use the suite-wide app and role-token fixtures (tests/conftest.py);
real gunicorn servers for the cross-worker scenarios live in servers.py and cluster/."""
from tests.conftest import PREFIX, SECRET  # noqa: F401  (imported by the test modules)
