"""Fixtures of the crash harness: one database per module with the 1,000 keys defined once
(defining them takes seconds), and the way children are started."""
from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import TABLES as SUITE_TABLES

from .crash_database import prepare

TABLES = ", ".join(SUITE_TABLES + ("alembic_version",))  # every table, so the schema migrates anew


@pytest.fixture(scope="module")
def crash_database(postgres_url, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("crash")
    if postgres_url:
        db = create_engine(postgres_url)
        with db.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {TABLES} CASCADE"))
        db.dispose()
        url = postgres_url
    else:
        url = f"sqlite:///{workdir / 'lazyconfig.db'}"
    database = prepare(url, workdir)
    yield database
    database.close()


@pytest.fixture(scope="session")
def child_processes():
    """Children forked from a server that has already imported the engine and the child's
    own module (with it the whole lazyconfig package): a fresh interpreter per child would
    spend over a second on imports, and a child importing crash_child itself a third of
    one, every trial."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["lazyconfig.service.engine", "tests.reliability.crash_child"])
    return context
