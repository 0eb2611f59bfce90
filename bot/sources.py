"""`/newsdelta sources …`: list the feeds; let channel managers add, remove, pause, resume.

`SourceCommands(store, fetcher, max_items=…, first_poll_max_age=…, clock=…)` is the
`sources` handler of `bot.commands.CommandCore`: `await handler(cmd)` answers a `Reply`.
- `list` — every feed: name, URL, origin (config, or chat and who added it), paused or
  active, health (ok / failing n times with the last error; last success). Anyone may list.
- `add <url> [name]` — http/https only. The URL is fetched once through the SSRF guard
  (`guard=True`: the address dialled on every redirect hop must be public) and must parse as
  a feed; only then is it stored with origin "chat" and the user who added it. The reply
  counts its items and says the backlog will not be alerted (the pipeline's first-poll rule:
  only items younger than `first_poll_max_age` may alert on the first poll). The name
  defaults to the feed's title. A URL or a name already watched is refused.
- `remove <url|name>` — feeds added from chat only; config feeds belong to the operator.
- `pause|resume <url|name>` — any feed; a paused feed is not leased for polling.
Changing anything needs `Command.may_manage`, checked before any fetch. Every refusal is one
line saying why; anything else answers the usage with the valid actions. A URL wrapped in
`<…>` or `<…|label>` (Slack's link markup) is unwrapped. Every later poll of a chat feed
passes the guard too (`Pipeline.poll_feed`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from watchers.fetch import Fetcher
from watchers.models import FeedSource
from watchers.parse import MAX_LINK, clip, one_line, parse_feed
from watchers.store import Store
from watchers.store.db import Row

from .commands import when
from .messages import Command, Reply

log = logging.getLogger("newsdelta.sources")

ACTIONS = ("list", "add", "remove", "pause", "resume")
USAGE = (
    "Usage: sources list | add <url> [name] | remove <url or name> | pause <url or name> | "
    "resume <url or name>"
)
MAX_NAME = 80
_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|[^<>]*)?>")


class SourceCommands:
    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        *,
        max_items: int = 500,
        first_poll_max_age: int = 86_400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.max_items = max_items
        self.first_poll_max_age = first_poll_max_age
        self.clock = clock

    async def __call__(self, cmd: Command) -> Reply:
        action, _, rest = cmd.args.strip().partition(" ")
        action, rest = action.lower(), rest.strip()
        if action not in ACTIONS:
            shown = f"Unknown action {action!r}. " if action else ""
            return Reply(shown + USAGE, choices=ACTIONS)
        if action == "list":
            return await self._list()
        if not cmd.may_manage:
            return Reply(f"You are not allowed to {action} sources here; ask a channel manager.")
        if not rest:
            what = "<url> [name]" if action == "add" else "<url or name>"
            return Reply(f"Usage: sources {action} {what}")
        log.info("sources %s %r by %s on %s", action, rest, cmd.user, cmd.platform)
        if action == "add":
            url, _, name = rest.partition(" ")
            return await self._add(_unwrap(url), name, cmd.user)
        if action == "remove":
            return await self._remove(_unwrap(rest))
        return await self._pause(_unwrap(rest), paused=action == "pause")

    async def _list(self) -> Reply:
        feeds = await asyncio.to_thread(self.store.feeds)
        if not feeds:
            return Reply("No feeds are watched yet.", ("sources add <url> [name] adds one.",))
        return Reply(f"{len(feeds)} feeds", tuple(_describe(f) for f in feeds))

    async def _add(self, url: str, name: str, user: str) -> Reply:
        problem = _unusable_url(url)
        if problem:
            return Reply(f"Cannot add {url!r}: {problem}.")
        feeds = await asyncio.to_thread(self.store.feeds)
        same = next((f for f in feeds if f["url"] == url), None)
        if same:
            return Reply(f"{url} is already watched, as {same['name']}.")
        result = await self.fetcher.fetch(url, guard=True)
        if result.status != "ok" or result.body is None:
            return Reply(f"Cannot add {url}: {result.error or 'no document came back'}.")
        now = self.clock()
        parsed = await asyncio.to_thread(
            parse_feed,
            result.body,
            feed_url=url,
            source=name or url,
            max_items=self.max_items,
            now=datetime.fromtimestamp(now, UTC),
        )
        if parsed.error:
            return Reply(f"Cannot add {url}: {parsed.error}.")
        name = clip(one_line(name or parsed.title), MAX_NAME) or str(urlsplit(url).hostname)
        if any(f["name"] == name for f in feeds):
            return Reply(
                f"A feed is already named {name!r}; give this one another name: "
                f"sources add {url} <name>"
            )
        added = await asyncio.to_thread(
            self.store.add_feed, FeedSource(name, url, origin="chat"), user, now
        )
        if not added:
            return Reply(f"{url} is already watched.")
        young = sum(
            1
            for s in parsed.stories
            if s.published is not None and now - s.published.timestamp() <= self.first_poll_max_age
        )
        except_young = (
            f", except the {young} published in the last {_span(self.first_poll_max_age)}, "
            "which are judged like new items"
            if young
            else ""
        )
        return Reply(
            f"Added {name}: {url} holds {len(parsed.stories)} items.",
            (
                "Its backlog will not be alerted: the first poll records these items as known"
                f"{except_young}.",
                "After that, every new item is judged and alerted when it says something new.",
            ),
        )

    async def _remove(self, target: str) -> Reply:
        gone = await asyncio.to_thread(self.store.remove_feed, target)
        if gone:
            return Reply(f"Removed {gone['name']} ({gone['url']}); its stories stay known.")
        feeds = await asyncio.to_thread(self.store.feeds)
        config = next((f for f in feeds if target in (f["url"], f["name"])), None)
        if config:
            return Reply(
                f"{config['name']} comes from the configuration: it belongs to the operator "
                "and can only be removed from config.toml (sources pause stops polling it)."
            )
        chat = tuple(f["name"] for f in feeds if f["origin"] == "chat")
        listed = f" Feeds added from chat: {', '.join(chat)}." if chat else ""
        return Reply(
            f"No feed added from chat has the URL or name {target!r}.{listed}", choices=chat
        )

    async def _pause(self, target: str, *, paused: bool) -> Reply:
        row = await asyncio.to_thread(self.store.set_feed_paused, target, paused)
        if row is None:
            names = tuple(f["name"] for f in await asyncio.to_thread(self.store.feeds))
            return Reply(f"No feed has the URL or name {target!r}.", choices=names)
        name = row["name"]
        if bool(row["paused"]) == paused:
            return Reply(f"{name} was already {'paused' if paused else 'active'}.")
        if paused:
            return Reply(f"Paused {name}: it is not polled until `sources resume {name}`.")
        return Reply(f"Resumed {name}: it is polled again from its next check.")


def _unwrap(text: str) -> str:
    """`text` without Slack's link markup: `<url>` and `<url|label>` become `url`."""
    match = _SLACK_LINK.fullmatch(text.strip())
    return match.group(1) if match else text.strip()


def _unusable_url(url: str) -> str | None:
    """Why `url` cannot be a feed URL at all, before any I/O; None when it may be fetched."""
    if len(url) > MAX_LINK:
        return f"URLs over {MAX_LINK:,} characters are not accepted"
    if not url.isprintable():
        return "the URL contains control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        return f"unparseable URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        shown = f"not {parts.scheme + ':'!r}" if parts.scheme else "and this URL has no scheme"
        return f"only http:// and https:// feeds can be added, {shown}"
    if not host:
        return "the URL has no host"
    return None


def _describe(feed: Row) -> str:
    origin = "config" if feed["origin"] != "chat" else f"chat, added by {feed['added_by']}"
    state = "paused" if feed["paused"] else "active"
    if feed["failures"]:
        health = f"failing {feed['failures']} times, last error: {feed['last_error']}"
    elif not feed["polls"]:
        health = "not polled yet"
    else:
        health = "ok"
    success = f"last success {when(feed['last_success_at'])}" if feed["polls"] else ""
    return " — ".join(x for x in (feed["name"], feed["url"], origin, state, health, success) if x)


def _span(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds / 60:g} min"
