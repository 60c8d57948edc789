"""Each fresh database gets a host-head directory of its own for the whole bench run: the
runner makes a Context per scenario on one work directory per database, and on PostgreSQL
every scenario's URL is the same, so a shared directory would hand one scenario the head
another left (its reads would all ask the database)."""
from __future__ import annotations

import pytest

from bench.context import Context

pytestmark = pytest.mark.database_independent


def run_dir(ctx: Context, url: str, name: str) -> str:
    return ctx.env(url, name)["LAZYCONFIG_RUN_DIR"]


def test_scenarios_sharing_a_work_directory_never_share_a_run_directory(tmp_path):
    workdir = tmp_path / "sqlite"
    seen = []
    for scenario in ("in_process", "http_read", "http_read"):  # one Context each, as the runner does
        ctx = Context("sqlite", True, 1, workdir)
        url = ctx.fresh_database_url(scenario)
        service, ceiling = run_dir(ctx, url, "service"), run_dir(ctx, url, "ceiling")
        assert service == ceiling  # servers on one database are one host
        seen.append(service)
        again = ctx.fresh_database_url(scenario)
        seen.append(run_dir(ctx, again, "service"))
    assert len(set(seen)) == len(seen)
