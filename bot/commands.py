"""The command core: one handler for `/newsdelta …` on every platform.

`CommandCore.handle(Command) -> Reply` answers facts, subscribe, unsubscribe, topics,
status, help and sources. It knows the store and the configured topics, never a chat SDK.
Wrong input (an unknown subcommand or topic, a missing argument) answers with the valid
choices; changing subscriptions or sources needs `Command.may_manage`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from watchers.models import Topic
from watchers.store import Store

from .facts_lookup import lookup_facts
from .messages import Command, Reply

SUBCOMMANDS = ("facts", "subscribe", "unsubscribe", "topics", "status", "sources", "help")

HELP = (
    "facts <query> — known facts with their sources",
    "subscribe <topic> — send this topic's alerts to this channel",
    "unsubscribe <topic> — stop them",
    "topics — the topics, and this channel's subscriptions",
    "status — feeds, last poll, failing feeds",
    "sources list|add <url> [name]|remove <url or name>|pause <url or name>|resume <url or name>",
    "help — this list",
)

SourcesHandler = Callable[[Command], Awaitable[Reply]]


def when(ts: float | None) -> str:
    """An epoch time as people read it in a reply (UTC), or "never"."""
    if not ts:
        return "never"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


class CommandCore:
    def __init__(
        self,
        store: Store,
        topics: Sequence[Topic],
        *,
        sources: SourcesHandler | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.topics = {t.name: t for t in topics}
        self.sources = sources
        self.clock = clock

    def topic_names(self) -> list[str]:
        return sorted(self.topics)

    async def handle(self, cmd: Command) -> Reply:
        name = cmd.name.strip().lower()
        if name in ("", "help"):
            return Reply("newsdelta commands", HELP)
        if name not in SUBCOMMANDS:
            return Reply(
                f"Unknown subcommand {cmd.name!r}. Valid: {', '.join(SUBCOMMANDS)}",
                choices=SUBCOMMANDS,
            )
        if name == "facts":
            return await self._facts(cmd.args)
        if name in ("subscribe", "unsubscribe"):
            return await self._subscription(cmd, name)
        if name == "topics":
            return await self._topics(cmd)
        if name == "status":
            return await self._status()
        if self.sources is None:
            return Reply("Adding sources from chat is not enabled here.")
        return await self.sources(cmd)

    async def _facts(self, query: str) -> Reply:
        if not query.strip():
            return Reply("Usage: facts <query>, e.g. facts ratification vote")
        found = await asyncio.to_thread(lookup_facts, self.store, query)
        if not found:
            return Reply(f"No known fact matches {query!r}.")
        return Reply(f"Known facts for {query!r}:", tuple(f.line() for f in found))

    async def _subscription(self, cmd: Command, action: str) -> Reply:
        topic = cmd.args.strip()
        if topic not in self.topics:
            valid = ", ".join(self.topic_names())
            shown = f"Unknown topic {topic!r}" if topic else "Which topic?"
            return Reply(f"{shown}. Valid topics: {valid}", choices=tuple(self.topic_names()))
        if not cmd.may_manage:
            return Reply(f"You are not allowed to {action} this channel; ask a channel manager.")
        if action == "subscribe":
            new = await asyncio.to_thread(
                self.store.subscribe, cmd.platform, cmd.channel, topic, cmd.user, self.clock()
            )
            if not new:
                return Reply(f"This channel is already subscribed to {topic}.")
            return Reply(
                f"Subscribed this channel to {topic}: new stories and new details from now on."
            )
        gone = await asyncio.to_thread(self.store.unsubscribe, cmd.platform, cmd.channel, topic)
        return Reply(
            f"Unsubscribed from {topic}."
            if gone
            else f"This channel was not subscribed to {topic}."
        )

    async def _topics(self, cmd: Command) -> Reply:
        subs = await asyncio.to_thread(self.store.subscriptions, cmd.platform, cmd.channel)
        mine = {s["topic"]: s for s in subs}
        lines = []
        for name, topic in sorted(self.topics.items()):
            sub = mine.get(name)
            state = "not subscribed"
            if sub:
                paused = sub["paused_reason"]
                state = f"subscribed (paused: {paused})" if paused else "subscribed"
            groups = "; ".join(f"{g.name}: {', '.join(g.aliases[:4])}…" for g in topic.groups)
            lines.append(f"{name} — {topic.title} — {state} — matches {groups}")
        return Reply("Topics", tuple(lines))

    async def _status(self) -> Reply:
        feeds = await asyncio.to_thread(self.store.feeds)
        counts = await asyncio.to_thread(self.store.verdict_counts)
        failing = [f for f in feeds if f["failures"]]
        lines = [
            f"{len(feeds)} feeds, {len(failing)} failing; stories: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        ]
        for f in feeds:
            health = "paused" if f["paused"] else ("failing" if f["failures"] else "ok")
            err = (
                f" — {f['failures']} failures, last error: {f['last_error']}"
                if f["failures"]
                else ""
            )
            lines.append(
                f"{f['name']}: {health}; last poll {when(f['last_polled_at'])}, last success "
                f"{when(f['last_success_at'])}{err}"
            )
        return Reply("Status", tuple(lines))
