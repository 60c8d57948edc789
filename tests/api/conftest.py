"""Contract tests use the suite-wide app, client and role-token fixtures (tests/conftest.py)."""
from tests.conftest import PREFIX, SECRET  # noqa: F401  (imported by the test modules)
