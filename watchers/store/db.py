"""One database connection, SQLite or PostgreSQL, behind the same small interface.

SQL in the store is written once with `?` placeholders and portable types; this module
translates placeholders for psycopg, opens write transactions the way each backend needs
(SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN plus an advisory lock when asked), and
serialises use of the connection across threads with a lock. Nothing else knows which
backend is in use, except `dialect` for the few statements that differ.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

Row = dict[str, Any]


class StoreError(Exception):
    """The storage URL is unusable or the database refused us; the message says which."""


def _sqlite_path(url: str) -> str:
    """`sqlite:///relative.db`, `sqlite:////abs/path.db`, `sqlite:///:memory:`."""
    rest = url.removeprefix("sqlite://")
    if rest.startswith("/"):
        rest = rest[1:]
    return unquote(rest) or ":memory:"


class Database:
    """A locked connection with `query`, `execute` and a `transaction()` context."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        scheme = urlsplit(url).scheme
        if scheme == "sqlite":
            self.dialect = "sqlite"
            path = _sqlite_path(url)
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            try:
                self._conn: Any = sqlite3.connect(
                    path, isolation_level=None, check_same_thread=False, timeout=30
                )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open SQLite database {path!r}: {exc}") from exc
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
        elif scheme in ("postgres", "postgresql"):
            self.dialect = "postgresql"
            try:
                import psycopg
                from psycopg.rows import dict_row
            except ImportError as exc:  # pragma: no cover - psycopg is a dependency
                raise StoreError("PostgreSQL needs the psycopg package") from exc
            try:
                self._conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
            except psycopg.Error as exc:
                raise StoreError(f"cannot connect to PostgreSQL: {_first_line(exc)}") from exc
        else:
            raise StoreError(f"unsupported storage URL scheme {scheme!r} (sqlite or postgresql)")
        self._depth = 0

    def _sql(self, sql: str) -> str:
        if self.dialect == "postgresql":
            return re.sub(r"\?", "%s", sql)
        return sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        with self._lock:
            cur = self._conn.execute(self._sql(sql), tuple(params))
            return cur.rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self._lock:
            if self.dialect == "postgresql":
                with self._conn.cursor() as cur:
                    cur.executemany(self._sql(sql), [tuple(r) for r in rows])
            else:
                self._conn.executemany(sql, [tuple(r) for r in rows])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            cur = self._conn.execute(self._sql(sql), tuple(params))
            return [dict(r) for r in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self, lock_key: int | None = None) -> Iterator[Database]:
        """A write transaction. `lock_key` serialises holders across processes (PostgreSQL
        advisory lock; SQLite's BEGIN IMMEDIATE already holds the single writer lock)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
            self._depth = 1
            try:
                if lock_key is not None and self.dialect == "postgresql":
                    self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
                yield self
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
