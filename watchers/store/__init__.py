"""The store: every SQL statement of newsdelta lives in this package.

`Store.open(url)` connects (SQLite file by default, PostgreSQL by URL), migrates, and
returns one object that is the feeds table's scheduler memory, the `Knowledge` verdicts
are judged against, and the outbox delivery drains. Business rules live elsewhere.
"""

from __future__ import annotations

from .db import Database, StoreError
from .feeds import FeedsMixin, PollOutcome
from .migrations import migrate
from .outbox import Delivery, OutboxMixin
from .stories import StoriesMixin

VERDICT_LOCK = 7_400_002  # serialises judge+record across processes (PostgreSQL)

__all__ = ["VERDICT_LOCK", "Delivery", "PollOutcome", "Store", "StoreError"]


class Store(FeedsMixin, StoriesMixin, OutboxMixin):
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, url: str) -> Store:
        db = Database(url)
        migrate(db)
        return cls(db)

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def close(self) -> None:
        self.db.close()
