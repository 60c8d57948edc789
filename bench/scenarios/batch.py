"""Scenario 4: POST /values/batch of 50 keys (editor token, 32 connections, new values each
time), in keys per second, against single PUTs measured in the same run on the same
server."""
from __future__ import annotations

import json

from ..context import Context, Row
from ..loadgen import Target
from . import PREFIX, contest, define_counters, error_row, figure_row, put_target

NAME = "4 batch"
SIZE = 50
KEYS = [f"bench_batch_{i:02d}" for i in range(SIZE)]


def batch_body() -> str:
    updates = ",".join(f'{{"key": {json.dumps(key)}, "value": {{n}}}}' for key in KEYS)
    return f'{{"updates": [{updates}]}}'


def run(ctx: Context) -> list[Row]:
    token = ctx.token("editor")
    with ctx.server(ctx.fresh_database_url("batch"), "batch-service") as service:
        define_counters(service.url, ctx.token("admin"), KEYS)
        targets = {"batch": Target(f"{service.url}{PREFIX}/values/batch", "POST",
                                   f"Bearer {token}", batch_body()),
                   "single": put_target(service.url, token, KEYS[0])}
        result = contest(ctx, targets)
        log = service.log()
    batches = result.closed["batch"]
    return [
        figure_row(ctx, NAME, f"batch of {SIZE}: keys/s", "keys/s",
                   lambda load: load.rps * SIZE, batches,
                   baseline_name="single PUT req/s", baseline_loads=result.closed["single"],
                   baseline_figure=lambda load: load.rps, target=5.0,
                   note="baseline: single PUTs on the same server, alternating, same run"),
        error_row(ctx, NAME, "batch non-2xx and socket errors", batches, log),
    ]
