"""Database connections, SQLite or PostgreSQL, behind the same small interface.

SQL in the store is written once with `?` placeholders and portable types; this module
translates placeholders for psycopg, opens write transactions the way each backend needs
(SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN plus an advisory lock when asked), and hands
each thread its connection. Nothing else knows which backend is in use, except `dialect`
for the few statements that differ.

SQLite is one connection, serialised across threads with a lock. PostgreSQL is a pool
(`psycopg_pool`): a transaction holds one connection for its thread, a statement outside a
transaction borrows one. A connection is proved by use: when one turns out dead, every idle
one is checked and the dead are replaced (the pool's check-on-lend backs off a second or more
per dead connection, which stalled under repeated terminations). When the server
drops a connection (a restart, a failover, `pg_terminate_backend`, a pooler's idle timeout)
the work is done again on a fresh one: a statement outside a transaction by `execute`/
`query` themselves, a whole transaction by `retry(fn)` (store methods marked `@retried`) —
safe because every write is idempotent through the unique constraints. Retries back off
for as long as the database has been unreachable for less than `down_limit` seconds; then
they raise `StoreUnreachable`, and `unreachable_for()` tells a supervisor loop how long the
current outage has lasted.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

Row = dict[str, Any]
P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("newsdelta.store")

POOL_SIZE = 10  # connections per process at most (a thread each: to_thread's workers)
BORROW_TIMEOUT = 10.0  # seconds to wait for a pooled connection before calling it lost
CONNECT_TIMEOUT = 5  # seconds for one connection attempt
LOST_STATES = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown, cannot connect


class StoreError(Exception):
    """The storage URL is unusable or the database refused us; the message says which."""


class StoreUnreachable(StoreError):
    """The database stayed unreachable longer than the configured limit."""


def connection_lost(exc: BaseException) -> bool:
    """True for a failure of the connection itself (worth a retry on a fresh one), not of
    the statement (a constraint, a syntax error, a deadlock: those are raised as they are)."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, psycopg.OperationalError):
        state = exc.sqlstate
        return state is None or state.startswith("08") or state in LOST_STATES
    return False


def _sqlite_path(url: str) -> str:
    """`sqlite:///relative.db`, `sqlite:////abs/path.db`, `sqlite:///:memory:`."""
    rest = url.removeprefix("sqlite://")
    if rest.startswith("/"):
        rest = rest[1:]
    return unquote(rest) or ":memory:"


class Database:
    """`query`, `execute` and a `transaction()` context over SQLite or a PostgreSQL pool."""

    def __init__(self, url: str, *, down_limit: float = 60.0) -> None:
        self.url = url
        self.down_limit = down_limit
        self._lock = threading.RLock()  # SQLite: the one connection; both: outage state
        self._local = threading.local()  # PostgreSQL: this thread's transaction
        self._pool: ConnectionPool | None = None
        self._down_since: float | None = None
        self._last_error = ""
        self._closed = False
        self._depth = 0
        scheme = urlsplit(url).scheme
        if scheme == "sqlite":
            self.dialect = "sqlite"
            self._conn: Any = self._open_sqlite(_sqlite_path(url))
        elif scheme in ("postgres", "postgresql"):
            self.dialect = "postgresql"
            self._pool = self._open_pool(url)
        else:
            raise StoreError(f"unsupported storage URL scheme {scheme!r} (sqlite or postgresql)")

    @staticmethod
    def _open_sqlite(path: str) -> sqlite3.Connection:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {path!r}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @staticmethod
    def _open_pool(url: str) -> ConnectionPool:
        try:  # one direct attempt first, so a wrong URL fails at once with the server's words
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {_first_line(exc)}") from exc
        pool = ConnectionPool(
            url,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 5},
            min_size=1,
            max_size=POOL_SIZE,
            timeout=BORROW_TIMEOUT,
            reconnect_timeout=24 * 3600.0,  # the pool never gives up; `down_limit` decides
            name="newsdelta",
            open=False,
        )
        pool.open(wait=False)
        return pool

    # -- outages ---------------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        if self._pool is None:
            return self._depth > 0
        return getattr(self._local, "conn", None) is not None

    @property
    def last_error(self) -> str:
        """The first line of the last connection failure (empty when there was none)."""
        return self._last_error

    def unreachable_for(self, now: float | None = None) -> float:
        """Seconds since the current outage began (0.0 while the database answers)."""
        since = self._down_since
        return 0.0 if since is None else (now or time.monotonic()) - since

    def retry(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(...)`, done again on a fresh connection when the connection is lost, backing
        off until the outage has lasted `down_limit` seconds (then `StoreUnreachable`).
        Inside a transaction it runs once: the outermost retry redoes the whole of it."""
        if self._pool is None or self.in_transaction:
            return fn(*args, **kwargs)
        pause = 0.05
        while True:
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                if not connection_lost(exc):
                    raise
                down = self._lost(exc)
                if not self._closed:  # one connection died: check the idle ones, drop the dead
                    with contextlib.suppress(Exception):
                        self._pool.check()
                if self._closed or down >= self.down_limit:
                    raise StoreUnreachable(
                        f"the database has been unreachable for {down:.0f} s "
                        f"(limit {self.down_limit:g} s): {self._last_error}"
                    ) from exc
                time.sleep(min(pause, self.down_limit - down))
                pause = min(pause * 2, 1.0)
                continue
            if self._down_since is not None:
                self._back()
            return result

    def _lost(self, exc: BaseException) -> float:
        with self._lock:
            self._last_error = _first_line(exc)
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.warning(
                    "database connection lost (%s); retrying on a fresh connection for up to %g s",
                    self._last_error,
                    self.down_limit,
                )
        return self.unreachable_for()

    def _back(self) -> None:
        with self._lock:
            if self._down_since is not None:
                log.info("database reachable again after %.1f s", self.unreachable_for())
                self._down_since = None

    # -- statements ------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        if self.dialect == "postgresql":
            return re.sub(r"\?", "%s", sql)
        return sql

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """The connection for one statement: this thread's transaction's, or a borrowed one."""
        if self._pool is None:
            with self._lock:
                yield self._conn
            return
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        conn = self._pool.getconn()
        try:
            yield conn
        finally:
            self._pool.putconn(conn)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""

        def run() -> int:
            with self._connection() as conn:
                return conn.execute(self._sql(sql), tuple(params)).rowcount

        return self.retry(run)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return

        def run() -> None:
            with self._connection() as conn:
                if self.dialect == "postgresql":
                    with conn.cursor() as cur:
                        cur.executemany(self._sql(sql), [tuple(r) for r in rows])
                else:
                    conn.executemany(sql, [tuple(r) for r in rows])

        self.retry(run)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        def run() -> list[Row]:
            with self._connection() as conn:
                cur = conn.execute(self._sql(sql), tuple(params))
                return [dict(r) for r in cur.fetchall()]

        return self.retry(run)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def transaction(self, lock_key: int | None = None) -> Iterator[Database]:
        """A write transaction. `lock_key` serialises holders across processes (PostgreSQL
        advisory lock; SQLite's BEGIN IMMEDIATE already holds the single writer lock). A lost
        connection raises out of it; `retry` around the caller does it all again."""
        if self._pool is None:
            with self._sqlite_transaction():
                yield self
            return
        local = self._local
        if getattr(local, "conn", None) is not None:
            yield self
            return
        conn = self._pool.getconn()
        local.conn = conn
        try:
            conn.execute("BEGIN")
            if lock_key is not None:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
            yield self
            conn.execute("COMMIT")
        except BaseException:
            if not conn.closed:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
            raise
        finally:
            local.conn = None
            self._pool.putconn(conn)

    @contextmanager
    def _sqlite_transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.close(timeout=2.0)
            return
        with self._lock:
            self._conn.close()


def retried(method: Callable[..., T]) -> Callable[..., T]:
    """Mark a store method whose transaction is done again when its connection is lost."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        return self.db.retry(method, self, *args, **kwargs)

    return wrapper


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
