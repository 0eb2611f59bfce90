"""The command core: one handler for `/newsdelta …` on every platform.

`CommandCore.handle(Command) -> Reply` answers facts, subscribe, unsubscribe, topics,
status, help, and hands sources, whatsnew, digest and topic to their handlers (bot.sources,
bot.whatsnew, bot.digest, bot.topic_commands). It knows the store and the topics — those of
config.toml and those made in chat (`TopicBook`) — never a chat SDK. Wrong input (an
unknown subcommand, topic or level, a missing argument) answers with the valid choices;
changing subscriptions, digests, topics or sources needs `Command.may_manage`.
`subscribe <topic> [all|stories|digest]` sets the subscription's alert level: every alert,
new stories only (new details wait for the digest), or the digest alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from watchers.models import Topic
from watchers.store import Store
from watchers.store.digests import LEVELS

from .digest import DigestCommands, describe
from .facts_lookup import lookup_facts
from .messages import Command, Reply
from .topic_commands import TopicBook, TopicCommands

SUBCOMMANDS = (
    "facts",
    "whatsnew",
    "subscribe",
    "unsubscribe",
    "topics",
    "topic",
    "digest",
    "status",
    "sources",
    "help",
)

HELP = (
    "facts <query> — known facts with their sources",
    "whatsnew <url> — does that article say anything new? (nothing is recorded)",
    "subscribe <topic> [all|stories|digest] — this topic's alerts here: all of them, new "
    "stories only (details go to the digest), or the digest alone",
    "unsubscribe <topic> — stop them",
    "topics — the topics, and this channel's subscriptions",
    'topic add <name> "<title>" <group> … [--exclude …]|show|edit|remove <name> — topics '
    "made in chat (a group: aliases joined by |)",
    "digest daily HH:MM <zone>|weekly <day> HH:MM <zone>|off — one summary per period",
    "status — this channel's subscriptions and digest, feeds, failing feeds",
    "sources list|add <url> [name]|remove <url or name>|pause <url or name>|resume <url or name>",
    "help — this list",
)
LEVEL_WORDS = {
    "all": "new stories and new details",
    "stories": "new stories only; new details go to the digest",
    "digest": "only in the digest",
}

Handler = Callable[[Command], Awaitable[Reply]]
SourcesHandler = Handler


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
        whatsnew: Handler | None = None,
        first_poll_max_age: int = 86_400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.book = TopicBook(store, topics)
        self.sources = sources
        self.whatsnew = whatsnew
        self.digest = DigestCommands(store, clock=clock)
        self.topic = TopicCommands(self.book, first_poll_max_age=first_poll_max_age, clock=clock)
        self.clock = clock

    @property
    def topics(self) -> dict[str, Topic]:
        """Every topic: config.toml's and those made in chat."""
        return self.book.all()

    def topic_names(self) -> list[str]:
        return self.book.names()

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
            return await self._status(cmd)
        if name == "digest":
            return await self.digest(cmd)
        if name == "topic":
            return await self.topic(cmd)
        if name == "whatsnew":
            if self.whatsnew is None:
                return Reply("whatsnew is not enabled here.")
            return await self.whatsnew(cmd)
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
        topic, _, level = cmd.args.strip().partition(" ")
        level = level.strip().lower()
        names = await asyncio.to_thread(self.topic_names)
        if topic not in names:
            valid = ", ".join(names)
            shown = f"Unknown topic {topic!r}" if topic else "Which topic?"
            return Reply(f"{shown}. Valid topics: {valid}", choices=tuple(names))
        if action == "subscribe" and level and level not in LEVELS:
            return Reply(
                f"Unknown level {level!r}. Valid: all (every alert), stories (new stories only), "
                "digest (the digest alone)",
                choices=LEVELS,
            )
        if not cmd.may_manage:
            return Reply(f"You are not allowed to {action} this channel; ask a channel manager.")
        if action == "subscribe":
            return await self._subscribe(cmd, topic, level)
        gone = await asyncio.to_thread(self.store.unsubscribe, cmd.platform, cmd.channel, topic)
        return Reply(
            f"Unsubscribed from {topic}."
            if gone
            else f"This channel was not subscribed to {topic}."
        )

    async def _subscribe(self, cmd: Command, topic: str, level: str) -> Reply:
        level = level or "all"
        new = await asyncio.to_thread(
            self.store.subscribe, cmd.platform, cmd.channel, topic, cmd.user, self.clock()
        )
        changed = await asyncio.to_thread(
            self.store.set_level, cmd.platform, cmd.channel, topic, level
        )
        digest = await asyncio.to_thread(self.store.digest_schedules, cmd.platform, cmd.channel)
        note = ()
        if level != "all" and not digest:
            note = (
                "This channel has no digest yet: digest daily 08:00 Europe/Berlin "
                "(with your time zone) sets one.",
            )
        if new and level == "all":
            head = f"Subscribed this channel to {topic}: new stories and new details from now on."
        elif new:
            head = f"Subscribed this channel to {topic} at level {level}: {LEVEL_WORDS[level]}."
        elif changed:
            head = f"This channel now gets {topic} at level {level}: {LEVEL_WORDS[level]}."
        else:
            head = f"This channel is already subscribed to {topic} ({level})."
        return Reply(head, note)

    async def _topics(self, cmd: Command) -> Reply:
        subs = await asyncio.to_thread(self.store.subscriptions, cmd.platform, cmd.channel)
        mine = {s["topic"]: s for s in subs}
        configured = self.book.configured
        lines = []
        for name, topic in sorted((await asyncio.to_thread(self.book.all)).items()):
            sub = mine.get(name)
            state = "not subscribed"
            if sub:
                paused = sub["paused_reason"]
                state = "subscribed" if sub["level"] == "all" else f"subscribed ({sub['level']})"
                state += f" (paused: {paused})" if paused else ""
            groups = "; ".join(f"{g.name}: {', '.join(g.aliases[:4])}…" for g in topic.groups)
            made = "" if name in configured else " (made in chat)"
            lines.append(f"{name} — {topic.title}{made} — {state} — matches {groups}")
        return Reply("Topics", tuple(lines))

    async def _channel_line(self, cmd: Command) -> str | None:
        """This channel's subscriptions with their levels, and its digest schedule (None when
        it has neither)."""
        subs = await asyncio.to_thread(self.store.subscriptions, cmd.platform, cmd.channel)
        digest = await asyncio.to_thread(self.store.digest_schedules, cmd.platform, cmd.channel)
        if not subs and not digest:
            return None
        shown = []
        for sub in subs:
            paused = f", paused: {sub['paused_reason']}" if sub["paused_reason"] else ""
            shown.append(f"{sub['topic']} ({sub['level']}{paused})")
        following = ", ".join(shown) if shown else "no subscriptions"
        return f"This channel: {following}; digest: {describe(digest[0]) if digest else 'none'}"

    async def _status(self, cmd: Command) -> Reply:
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
        if channel := await self._channel_line(cmd):
            lines.append(channel)
        return Reply("Status", tuple(lines))
