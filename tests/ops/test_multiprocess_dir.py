"""The metrics directory gunicorn's workers share: made fresh per server and removed by the
master, or, when the operator names one, emptied of the last run's counts and kept."""
from __future__ import annotations

from pathlib import Path

from lazyconfig import multiprocess_metrics


def test_a_fresh_directory_is_made_and_removed():
    environ: dict[str, str] = {}
    path = Path(multiprocess_metrics.prepare(environ))
    assert environ["PROMETHEUS_MULTIPROC_DIR"] == str(path) and path.is_dir()
    multiprocess_metrics.cleanup()
    assert not path.exists()


def test_the_operators_directory_is_emptied_and_kept(tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"old counts")
    (tmp_path / "notes.txt").write_text("not ours")
    environ = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    assert multiprocess_metrics.prepare(environ) == str(tmp_path)
    multiprocess_metrics.cleanup()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
