"""The service's gunicorn settings (workers, gthread, threads, keepalive, timeouts) without
its lazyconfig hooks, so a baseline app runs under exactly the same server."""
import runpy
import types
from pathlib import Path

_service = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
# Settings are the module's lowercase plain values; its hooks are functions, left out.
globals().update({name: value for name, value in _service.items()
                  if name.islower() and not name.startswith("_") and not callable(value)
                  and not isinstance(value, types.ModuleType)})
