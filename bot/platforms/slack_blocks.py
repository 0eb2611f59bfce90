"""Block Kit rendering for the Slack adapter: alerts, notices and command replies.

Contract: every string that came from a feed or from the core passes through `escape`
(control characters stripped; `&`, `<`, `>` escaped), so `<!channel>`, `<!here>` or
`<@U123>` in a headline arrive as inert text. Links are rendered only for http(s) URLs.
`render_message` returns one or more chat.postMessage payloads (`text` + `blocks`) that each
fit Slack's limits (section text ≤ 3000 chars, ≤ 50 blocks, text ≤ 40,000); the first is the
message itself, the rest continue it in its thread. Nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.messages import FactLine, Message, Reply

SECTION_MAX = 3000
BLOCKS_MAX = 50
TEXT_MAX = 40_000
BUTTONS_MAX = 25
HEADLINE_MAX = 300
URL_MAX = 1500  # escaped; a longer link is shown as text only

Block = dict[str, Any]
Payload = dict[str, Any]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_VERDICT_LABELS = {"new_story": "New story", "new_detail": "New detail", "digest": "Digest"}


def escape(text: str) -> str:
    """Feed text made inert for mrkdwn: control characters dropped, `&<>` escaped."""
    clean = _CONTROL.sub("", text)
    return clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(escaped: str, limit: int) -> str:
    """Shorten already-escaped text to `limit` chars without cutting an entity in half."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    return cut + "…"


def safe_url(url: str | None) -> str | None:
    """The URL if it is an http(s) URL, else None."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def link(url: str | None, text: str) -> str:
    """`<url|text>` for an http(s) URL; just the escaped text otherwise."""
    label = clip(escape(text), HEADLINE_MAX)
    target = escape(safe_url(url) or "").replace("|", "%7C")
    if not target or len(target) > URL_MAX:
        return label
    return f"<{target}|{label}>"


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, SECTION_MAX)}}


def _date(iso: str) -> str:
    """A Slack date token (shown in each reader's time zone), or the escaped text."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return escape(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _fact(fact: FactLine) -> Block:
    """`• fact — source, date` and, when it contradicts a known fact, a warning line."""
    where = link(fact.link, fact.source)
    if fact.date:
        where += f", {clip(escape(fact.date), 40)}"
    note = (
        f"\n:warning: _conflicts with: {clip(escape(fact.conflict), 400)}_" if fact.conflict else ""
    )
    room = SECTION_MAX - len(where) - len(note) - len("•  — ")
    return section(f"• {clip(escape(fact.text), room)} — {where}{note}")


def _sections(escaped: str) -> list[Block]:
    """Escaped text as consecutive sections, split at a line break or space when long."""
    blocks: list[Block] = []
    rest = escaped.strip()
    while rest:
        cut = len(rest)
        if cut > SECTION_MAX:
            window = rest[:SECTION_MAX]
            cut = max(window.rfind("\n"), window.rfind(" "))
            if cut <= 0:
                cut = len(clip(rest, SECTION_MAX)) - 1
        blocks.append(section(rest[:cut]))
        rest = rest[cut:].strip()
    return blocks


def _context(message: Message) -> Block:
    parts = [escape(x) for x in (message.topic, message.source) if x]
    if message.published:
        parts.append(_date(message.published))
    if message.why:
        parts.append(f"why: {clip(escape(message.why), 1000)}")
    if message.page:
        parts.append(link(message.page, "what we know"))
    text = clip(" · ".join(parts), SECTION_MAX)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _alert_blocks(message: Message) -> tuple[list[Block], list[Block]]:
    """The alert's head (headline, verdict) and its body (summary or facts)."""
    label = _VERDICT_LABELS.get(message.verdict or "", "Alert")
    head = [section(f"*{label}:* *{link(message.link, message.headline)}*")]
    body = _sections(escape(message.summary)) if message.summary else []
    body += [_fact(fact) for fact in message.facts]
    return head, body


def _fallback(message: Message) -> str:
    """The notification text: the plain-text rendering, unsafe links left out, escaped."""
    facts = tuple(replace(fact, link=safe_url(fact.link)) for fact in message.facts)
    safe = replace(message, link=safe_url(message.link), facts=facts)
    return clip(escape(safe.plain_text()), TEXT_MAX)


def render_message(message: Message) -> list[Payload]:
    """chat.postMessage payloads (`text`, `blocks`) for an alert or a notice, in order."""
    if message.kind != "alert":
        text = clip(escape(message.headline), HEADLINE_MAX)
        if message.why:
            text += f"\n_{escape(message.why)}_"
        return [{"text": _fallback(message), "blocks": [section(text)]}]
    head, body = _alert_blocks(message)
    has_context = message.topic or message.source or message.why or message.page
    context = [_context(message)] if has_context else []
    room = BLOCKS_MAX - len(head) - len(context)
    parts = [head + body[:room] + context]
    rest = body[room:]
    while rest:
        parts.append(rest[:BLOCKS_MAX])
        rest = rest[BLOCKS_MAX:]
    headline = clip(escape(message.headline), HEADLINE_MAX)
    payloads = [{"text": _fallback(message), "blocks": parts[0]}]
    for number, blocks in enumerate(parts[1:], start=2):
        payloads.append({"text": f"{headline} (part {number}/{len(parts)})", "blocks": blocks})
    return payloads


def render_reply(reply: Reply) -> Payload:
    """A command reply for `respond`: title, lines as sections, choices as a context line."""
    blocks = [section(f"*{escape(reply.title)}*")]
    blocks += _sections(escape("\n".join(reply.lines)))[: BLOCKS_MAX - 2]
    if reply.choices:
        choices = " · ".join(f"`{escape(choice)}`" for choice in reply.choices)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": choices}]})
    kind = "ephemeral" if reply.ephemeral else "in_channel"
    return {"response_type": kind, "text": clip(escape(reply.text), TEXT_MAX), "blocks": blocks}


def topic_picker(name: str, topics: list[str], action_prefix: str) -> Payload:
    """An ephemeral "which topic?" reply: one button per topic, value "<name> <topic>"."""
    buttons = [
        {
            "type": "button",
            "action_id": f"{action_prefix}{index}",
            "text": {"type": "plain_text", "text": _CONTROL.sub("", topic)[:75]},
            "value": f"{name} {topic}"[:2000],
        }
        for index, topic in enumerate(topics[:BUTTONS_MAX])
    ]
    prompt = f"Which topic do you want to {escape(name)}?"
    blocks: list[Block] = [section(prompt)]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    else:
        blocks = [section("No topics are configured.")]
    return {"response_type": "ephemeral", "text": prompt, "blocks": blocks}
