"""Topics made in chat: stored in the database so every process sees the same list.

A chat topic is kept as the JSON of a validated `Topic` (validation is the caller's: the
same code that reads config.toml's [[topics]]). `chat_topics()` returns them as `Topic`
objects with the time each was made (or last edited), which the pipeline uses for its
first-poll rule. Removing a topic removes its subscriptions in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..models import AliasGroup, Topic
from .db import Database


@dataclass(frozen=True)
class ChatTopic:
    """A topic made in chat, who made it, and when it was made or last edited."""

    topic: Topic
    created_by: str | None
    created_at: float


def topic_to_json(topic: Topic) -> str:
    spec: dict[str, Any] = {
        "name": topic.name,
        "title": topic.title,
        "groups": [[g.name, list(g.aliases)] for g in topic.groups],
        "exclude": list(topic.exclude),
        "fuzzy_threshold": topic.fuzzy_threshold,
        "since": topic.since.timestamp() if topic.since else None,
        "anywhere": [[g.name, list(g.aliases)] for g in topic.anywhere],
    }
    return json.dumps(spec, ensure_ascii=False)


def topic_from_json(text: str) -> Topic:
    spec = json.loads(text)
    since = spec.get("since")
    return Topic(
        name=spec["name"],
        title=spec["title"],
        groups=tuple(AliasGroup(n, tuple(a)) for n, a in spec["groups"]),
        exclude=tuple(spec.get("exclude") or ()),
        fuzzy_threshold=int(spec.get("fuzzy_threshold", 85)),
        since=datetime.fromtimestamp(since, UTC) if since is not None else None,
        anywhere=tuple(AliasGroup(n, tuple(a)) for n, a in spec.get("anywhere") or ()),
    )


class TopicsMixin:
    db: Database

    def add_chat_topic(self, topic: Topic, by: str, now: float) -> bool:
        """False when a chat topic of that name exists already."""
        return (
            self.db.execute(
                "INSERT INTO chat_topics (name, spec, created_by, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                (topic.name, topic_to_json(topic), by, now, now),
            )
            > 0
        )

    def edit_chat_topic(self, topic: Topic, now: float) -> bool:
        """Replace a chat topic's definition; False when there is none of that name. An edited
        topic counts as new for the first-poll rule."""
        return (
            self.db.execute(
                "UPDATE chat_topics SET spec = ?, created_at = ?, updated_at = ? WHERE name = ?",
                (topic_to_json(topic), now, now, topic.name),
            )
            > 0
        )

    def remove_chat_topic(self, name: str) -> bool:
        """Remove a chat topic and every subscription to it."""
        with self.db.transaction():
            gone = self.db.execute("DELETE FROM chat_topics WHERE name = ?", (name,)) > 0
            if gone:
                self.db.execute("DELETE FROM subscriptions WHERE topic = ?", (name,))
            return gone

    def chat_topics(self) -> list[ChatTopic]:
        rows = self.db.query("SELECT spec, created_by, created_at FROM chat_topics ORDER BY name")
        return [
            ChatTopic(topic_from_json(r["spec"]), r["created_by"], float(r["created_at"]))
            for r in rows
        ]
