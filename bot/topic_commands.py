"""`/newsdelta topic …`: topics made in chat, beside the ones in config.toml.

`TopicBook(store, configured)` is the one list of topics the command core offers: the
configured ones first, then those made in chat (read from the store each time, so every
process sees a topic as soon as it is made). `TopicCommands(book, …)` answers
- `topic add <name> "<title>" <group> <group> … [--exclude <alias> …]` — each group is
  aliases joined by `|`, all groups must match (like `[topics.groups]` in config.toml);
  validated by the same code as config.toml, so a bad topic gets the same one-line error;
- `topic show <name>` — any topic, written as the `topic edit` line that would make it;
- `topic edit <name> "<title>" <group> … [--exclude …]` — replaces a chat topic whole;
- `topic remove <name>` — removes a chat topic and the subscriptions to it.
Topics from config.toml belong to the operator: show only. Changing needs
`Command.may_manage` (the same permission as sources). A topic made or edited in chat is
matched from the watchers' next poll on, and alerts first only on recent items (see
`watchers.pipeline`).
"""

from __future__ import annotations

import asyncio
import re
import shlex
import time
from collections.abc import Callable, Sequence

from watchers.models import Topic
from watchers.store import Store
from watchers.topics import TopicMatcher

from .config import ConfigError, topic_from_table
from .messages import Command, Reply

ACTIONS = ("add", "show", "edit", "remove")
USAGE = (
    'Usage: topic add <name> "<title>" <group> <group> … [--exclude <alias> …] | '
    'topic show <name> | topic edit <name> "<title>" <group> … | topic remove <name> — '
    'a group is aliases joined by |, e.g. "Russia|Moscow|Kremlin"; every group must match'
)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


class TopicBook:
    """The configured topics and those made in chat, as one list (configured ones win)."""

    def __init__(self, store: Store, configured: Sequence[Topic]) -> None:
        self.store = store
        self.configured = {t.name: t for t in configured}

    def all(self) -> dict[str, Topic]:
        chat = {
            c.topic.name: c.topic
            for c in self.store.chat_topics()
            if c.topic.name not in self.configured
        }
        return self.configured | chat

    def names(self) -> list[str]:
        return sorted(self.all())


def _group_name(aliases: list[str], taken: set[str]) -> str:
    base = re.sub(r"\W+", "_", aliases[0].casefold()).strip("_")[:30] or "group"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def topic_table(words: Sequence[str]) -> dict[str, object]:
    """The [[topics]] table that `<name> "<title>" <group> … [--exclude …]` describes."""
    exclude: list[str] = []
    excluding = "--exclude" in words
    if excluding:
        cut = list(words).index("--exclude")
        words, rest = list(words[:cut]), words[cut + 1 :]
        exclude = [a.strip() for word in rest for a in word.split("|")]
    table: dict[str, object] = {"name": words[0] if words else ""}
    if len(words) > 1:
        table["title"] = words[1]
    taken: set[str] = set()
    groups = {}
    for word in words[2:]:
        aliases = [a.strip() for a in word.split("|")]
        groups[_group_name(aliases, taken)] = aliases
    table["groups"] = groups
    if excluding:
        table["exclude"] = exclude
    return table


def edit_line(topic: Topic) -> str:
    """The `topic edit` command that would make `topic` as it is."""
    words = [topic.name, topic.title, *("|".join(g.aliases) for g in topic.groups)]
    if topic.exclude:
        words += ["--exclude", *topic.exclude]
    return "topic edit " + shlex.join(words)


class TopicCommands:
    def __init__(
        self,
        book: TopicBook,
        *,
        first_poll_max_age: int = 86_400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.book = book
        self.store = book.store
        self.first_poll_max_age = first_poll_max_age
        self.clock = clock

    async def __call__(self, cmd: Command) -> Reply:
        try:
            words = shlex.split(cmd.args.translate(_QUOTES))
        except ValueError as exc:
            return Reply(f"Cannot read that: {exc}. {USAGE}")
        action = words[0].lower() if words else ""
        if action not in ACTIONS:
            shown = f"Unknown action {action!r}. " if action else ""
            return Reply(shown + USAGE, choices=ACTIONS)
        topics = await asyncio.to_thread(self.book.all)
        name = words[1] if len(words) > 1 else ""
        if action == "show":
            return self._show(name, topics)
        if not cmd.may_manage:
            return Reply(f"You are not allowed to {action} topics here; ask a channel manager.")
        if name in self.book.configured:
            return Reply(
                f"{name} comes from config.toml: it belongs to the operator and can only be "
                "changed there. Give a topic made in chat another name."
            )
        if action == "remove":
            return await self._remove(name, topics)
        return await self._save(action, words[1:], topics, cmd.user)

    def _show(self, name: str, topics: dict[str, Topic]) -> Reply:
        topic = topics.get(name)
        if topic is None:
            return self._unknown(name, topics)
        origin = "config.toml" if name in self.book.configured else "chat"
        lines = [f"{g.name}: {' | '.join(g.aliases)}" for g in topic.groups]
        if topic.exclude:
            lines.append(f"exclude (in the lead): {', '.join(topic.exclude)}")
        lines.append(edit_line(topic))
        return Reply(
            f"{name} — {topic.title} (from {origin}; every group must match)", tuple(lines)
        )

    def _unknown(self, name: str, topics: dict[str, Topic]) -> Reply:
        shown = f"No topic is named {name!r}." if name else "Which topic?"
        return Reply(f"{shown} Topics: {', '.join(sorted(topics))}", choices=tuple(sorted(topics)))

    async def _remove(self, name: str, topics: dict[str, Topic]) -> Reply:
        if not await asyncio.to_thread(self.store.remove_chat_topic, name):
            return self._unknown(name, topics)
        return Reply(f"Removed the topic {name} and every channel's subscription to it.")

    async def _save(
        self, action: str, words: list[str], topics: dict[str, Topic], user: str
    ) -> Reply:
        if len(words) < 3:
            return Reply(f"topic {action} needs a name, a title and at least one group. {USAGE}")
        if not NAME.fullmatch(words[0]):
            return Reply(
                f"chat: topic.name: expected lowercase letters, digits, - or _ "
                f"(at most 40, starting with a letter or digit), found {words[0]!r}"
            )
        try:
            topic = topic_from_table(topic_table(words), "chat", "topic")
            TopicMatcher([topic])  # what the watchers build: an alias it cannot use fails here
        except ConfigError as exc:
            return Reply(str(exc))
        except ValueError as exc:
            return Reply(f"chat: topic.groups: {exc}")
        now = self.clock()
        if action == "add":
            if not await asyncio.to_thread(self.store.add_chat_topic, topic, user, now):
                return Reply(f"A topic named {topic.name} exists already; topic edit changes it.")
        elif not await asyncio.to_thread(self.store.edit_chat_topic, topic, now):
            return self._unknown(topic.name, topics)
        groups = " AND ".join("(" + " | ".join(g.aliases) + ")" for g in topic.groups)
        hours = self.first_poll_max_age / 3600
        return Reply(
            f"{'Made' if action == 'add' else 'Changed'} the topic {topic.name} — {topic.title}.",
            (
                f"A story matches when its lead names {groups}"
                + (f", and none of {', '.join(topic.exclude)}." if topic.exclude else "."),
                f"It is matched from the next poll on; its first poll alerts only on items "
                f"from the last {hours:g} h.",
                f"subscribe {topic.name} sends its alerts to a channel.",
            ),
        )
