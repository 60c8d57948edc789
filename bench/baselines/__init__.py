"""What the service is measured against, in the same run: bare Flask apps under the
service's own gunicorn settings (read and write ceilings), plain dict and RLock reads
(in-process), and etcd (bench/etcd.py)."""
from pathlib import Path

GUNICORN_CONF = Path(__file__).resolve().parent / "gunicorn_conf.py"
READ_APP = "bench.baselines.read_app:app"
WRITE_APP = "bench.baselines.write_app:app"
