"""The store: every SQL statement of newsdelta lives in this package.

`Store.open(url)` connects (SQLite file by default, PostgreSQL by URL), migrates, and
returns one object that is the feeds table's scheduler memory, the `Knowledge` verdicts
are judged against, and the outbox delivery drains. Business rules live elsewhere.
"""

from __future__ import annotations

from .db import Database, StoreError, StoreUnreachable
from .digests import DigestSchedule, DigestsMixin, PeriodNews
from .feeds import FeedsMixin, PollOutcome
from .holders import HoldersMixin
from .migrations import migrate
from .outbox import Delivery, OutboxMixin
from .stories import StoriesMixin
from .topics import ChatTopic, TopicsMixin

VERDICT_LOCK = 7_400_002  # serialises judge+record across processes (PostgreSQL)

__all__ = [
    "VERDICT_LOCK",
    "ChatTopic",
    "Delivery",
    "DigestSchedule",
    "PeriodNews",
    "PollOutcome",
    "Store",
    "StoreError",
    "StoreUnreachable",
]


class Store(FeedsMixin, StoriesMixin, OutboxMixin, DigestsMixin, TopicsMixin, HoldersMixin):
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, url: str, *, down_limit: float = 60.0) -> Store:
        """`down_limit`: seconds a lost PostgreSQL may stay unreachable before store calls
        give up with `StoreUnreachable` (see `db.Database.retry`)."""
        db = Database(url, down_limit=down_limit)
        migrate(db)
        return cls(db)

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def close(self) -> None:
        self.db.close()
