"""Platform-neutral messages, commands and replies, and the Platform protocol.

The core (delivery, commands) speaks only these types. A chat adapter renders a `Message`
or a `Reply` natively (Block Kit, embeds, plain text) and turns an inbound slash command
into a `Command`. Adapters never see the store; the core never imports a chat SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class FactLine:
    """One quoted fact with its source; `conflict` says what known fact it disagrees with."""

    text: str
    source: str
    link: str | None = None
    date: str | None = None  # ISO date of the source, when known
    conflict: str | None = None


@dataclass(frozen=True)
class Message:
    """A neutral rich message: an alert, or a notice (feed failing / recovered).

    Every string in it came through `bot.alerts.render` and is already clean text: no
    control characters, no unsafe link schemes. Adapters still escape their own markup.
    """

    kind: str  # "alert" | "notice"
    headline: str
    verdict: str | None = None  # "new_story" | "new_detail" for alerts
    link: str | None = None
    topic: str | None = None
    source: str | None = None
    published: str | None = None  # ISO 8601, UTC
    why: str | None = None
    summary: str | None = None
    facts: tuple[FactLine, ...] = ()
    thread: str | None = None  # platform ref of the thread to reply in, if any
    page: str | None = None  # the story on the "what we know" page, when one is served

    def plain_text(self) -> str:
        """The message as plain text: notification fallback and console output."""
        lines = [f"[{self.verdict or self.kind}] {self.headline}"]
        if self.summary:
            lines.append(self.summary)
        for fact in self.facts:
            note = f" (conflicts: {fact.conflict})" if fact.conflict else ""
            where = f" — {fact.source}" + (f" ({fact.link})" if fact.link else "")
            lines.append(f"  • {fact.text}{where}{note}")
        meta = [x for x in (self.topic, self.source, self.published) if x]
        if meta:
            lines.append("  " + " · ".join(meta))
        if self.link:
            lines.append(f"  {self.link}")
        if self.why:
            lines.append(f"  why: {self.why}")
        if self.page:
            lines.append(f"  what we know: {self.page}")
        return "\n".join(lines)


class DeliveryError(Exception):
    """A send failed. `permanent`: the channel is gone or the bot was removed from it —
    retrying will not help, pause the subscription. Otherwise retry, not before
    `retry_after` seconds when given. `maybe_sent`: the platform may have posted it."""

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class Platform(Protocol):
    """A chat platform, as delivery sees it: one method.

    `key` is unique per delivery (alert × channel) and stable across retries and restarts:
    adapters use it for idempotency (Discord nonce, Slack metadata). Returns the platform's
    reference to the posted message (thread root for later replies), or None.
    Raises `DeliveryError` on failure.

    Optional: `async def find_sent(channel, key, *, thread) -> str | None` — the ref of a
    message already posted with this key. Delivery asks it before re-sending a delivery
    whose earlier attempt may have gone out (Slack has no idempotency key of its own).
    """

    name: str

    async def send(self, channel: str, message: Message, *, key: str) -> str | None: ...


@dataclass(frozen=True)
class Command:
    """A slash command, whatever platform it came from.

    `name` is the subcommand ("facts", "subscribe", ...), `args` the rest of the text.
    `may_manage` is the platform's own answer to "may this user change subscriptions and
    sources here" (Discord: Manage Channels; Slack: the configured policy).
    """

    platform: str
    channel: str
    user: str
    name: str
    args: str = ""
    may_manage: bool = True


@dataclass(frozen=True)
class Reply:
    """The answer to a command: a title and lines of plain text, ephemeral by default."""

    title: str
    lines: tuple[str, ...] = ()
    ephemeral: bool = True
    choices: tuple[str, ...] = field(default=())  # valid choices, when the input was wrong

    @property
    def text(self) -> str:
        return "\n".join((self.title, *self.lines))
