"""Read ceiling: the service's GET of one value with nothing behind the token check but a
constant body of the same shape. `gunicorn bench.baselines.read_app:app`."""
from __future__ import annotations

from .jwt_app import PREFIX, authorize, create_app

ENTRY = {"value": 60.0, "source": "default", "layers": {"default": 60.0}, "version": 0,
         "updated_at": None, "updated_by": None, "sensitive": False}

app = create_app()


@app.get(f"{PREFIX}/values/<string:key>")
def get_value(key: str):
    authorize("viewer")
    return {"key": key, **ENTRY}
