"""Operations tests reuse the API fixtures: an app on the test database and role tokens."""
from tests.api.conftest import admin, app, as_role, client, editor, token, viewer  # noqa: F401
