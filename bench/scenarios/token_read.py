"""Scenario 9: GET one value with an opaque service token against the same GET with a
signed token, on one server, in the same run (issue 20: within 0.9×); then a service token
holding 100 change streams and 2 blocking queries is revoked, and we time how long until
every one has closed and every request with it is refused."""
from __future__ import annotations

from contextlib import ExitStack

from tests.support import revocation_scenario

from ..context import Context, Row
from ..loadgen import Target
from . import PREFIX, call, contest, figure_row, start_all

NAME = "9 token_read"
KEY = "lazy_loading_unloading_check_interval"
STREAMS = 100


def run(ctx: Context) -> list[Row]:
    url = ctx.fresh_database_url("token_read")
    with ExitStack() as stack:
        server = start_all(stack, {"service": ctx.server(url, "token_read")})["service"]
        admin = ctx.token("admin")
        opaque = call(server.url, "POST", "/tokens", admin,
                      {"name": "bench-loader", "role": "viewer"})["token"]
        path = f"{server.url}{PREFIX}/values/{KEY}"
        targets = {"service token": Target(path, authorization=f"Bearer {opaque}"),
                   "signed token": Target(path, authorization=f"Bearer {ctx.token('viewer')}")}
        result = contest(ctx, targets)
        revoked = revocation_scenario.run([server.url], admin, 10 if ctx.quick else STREAMS)
    return [
        figure_row(ctx, NAME, "GET req/s, service token", "req/s", lambda load: load.rps,
                   result.closed["service token"], baseline_name="signed token",
                   baseline_loads=result.closed["signed token"], target=0.9),
        Row(NAME, f"revoked: {revoked['held']} streams and queries all closed", "s",
            revoked["closed_max_s"], 1.0, "max", ctx.database,
            note=f"median {revoked['closed_median_s']:.3f} s"),
        Row(NAME, "revoked: refused by every worker", "s", revoked["refused_after_s"], 1.0,
            "max", ctx.database),
    ]
