"""Shared fixtures: a real store on every backend, the project's config, a feed server.

`store_url` is parametrized over SQLite (a temp file) and PostgreSQL (a fresh schema in
the local server's `test` database, dropped afterwards), so every test that stores
anything runs on both. PostgreSQL is skipped, with the reason, only where no server
answers; set NEWSDELTA_TEST_PG to another URL to use a different server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Config, load_config
from watchers.store import Store

ROOT = Path(__file__).resolve().parents[1]
FEEDS = Path(__file__).parent / "feeds"
PG_URL = os.environ.get("NEWSDELTA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means: skip, saying why
        return f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}"


_PG_SKIP = _pg_available()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'newsdelta.db'}"
        return
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def config() -> Config:
    """The shipped config.toml (its topics and seeds), with no environment overrides."""
    return load_config(ROOT / "config.toml", env={})
