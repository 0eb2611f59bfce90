"""Discord rendering: a neutral `Message` as embeds, a `Reply` as text, within Discord's limits.

Contract:
- `alert_messages(message)` returns the embeds of one delivery, grouped per Discord message:
  an embed has a title ≤ 256, a description ≤ 4096, a verdict field, a footer ≤ 1024 (Discord
  allows 2048; the cap keeps a full head embed under 6000); a message has ≤ 10 embeds
  totalling ≤ 6000 characters. A long alert becomes continuation embeds, then several
  messages. The first embed carries title, link, verdict and footer.
- `reply_chunks(reply)` returns the reply as texts of ≤ 2000 characters each.
- Every string that reaches Discord passes `clean`: control and bidi-override characters are
  removed and `@everyone`, `@here`, `<@…>`, `<@&…>` get a zero-width joiner so they cannot
  ping. Text Discord renders as markdown is also markdown-escaped, so a feed cannot forge a
  masked link. Links are rendered only when they are http(s).
- `nonce_for(key, part)` is the Discord nonce (≤ 25 characters) of one part of a delivery.
- `thread_name(message)` is a thread title of ≤ 100 characters.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urlsplit

import discord

from bot.messages import FactLine, Message, Reply

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
VERDICT_MAX = 100  # Discord allows 1024 per field; a verdict label is short
FOOTER_MAX = 1024
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT_MAX = 2000
THREAD_NAME_MAX = 100

VERDICT_LABELS = {"new_story": "New story", "new_detail": "New detail", "digest": "Digest"}
COLOURS = {"new_story": 0x2B6CB0, "new_detail": 0xD69E2E}
NOTICE_COLOUR = 0x718096

_ZWJ = "\u200d"
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"@(?=everyone|here)|<@")


def clean(text: str) -> str:
    """Strip control and bidi-override characters; defuse every kind of mention."""
    text = _UNSAFE_CHARS.sub("", text.replace("\t", " "))
    return _MENTION.sub(lambda m: m.group(0) + _ZWJ, text)


def markdown(text: str) -> str:
    """`clean` text for a place where Discord renders markdown (descriptions, content)."""
    return clean(discord.utils.escape_markdown(text))


def safe_link(url: str | None) -> str | None:
    """The url if it is an absolute http(s) link Discord will accept, else None."""
    if not url or len(url) > 2048 or re.search(r"[\s<>\x00-\x1f]", url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def nonce_for(key: str, part: int) -> str:
    """A 24-character nonce, stable for (key, part): Discord drops a resend carrying it."""
    return hashlib.blake2b(f"{key}\x00{part}".encode(), digest_size=12).hexdigest()


def thread_name(message: Message) -> str:
    return clip(clean(message.headline).replace("\n", " ").strip(), THREAD_NAME_MAX) or "news"


def split_text(blocks: list[str], limit: int, separator: str = "\n") -> list[str]:
    """Join blocks into chunks of at most `limit` characters, cutting between blocks when
    possible and inside an over-long block at the last space otherwise."""
    pieces: list[str] = []
    for block in blocks:
        while len(block) > limit:
            cut = block.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            pieces.append(block[:cut])
            block = block[cut:].lstrip()
        pieces.append(block)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + len(separator) + len(piece) <= limit:
            chunks[-1] += separator + piece
        else:
            chunks.append(piece)
    return chunks


def _when(published: str) -> str:
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return published
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _fact_block(fact: FactLine) -> str:
    origin = markdown(fact.source) + (f", {markdown(fact.date)}" if fact.date else "")
    link = safe_link(fact.link)
    lines = [f"• {markdown(fact.text)}", f"  — {origin}" + (f" · {link}" if link else "")]
    if fact.conflict:
        lines.append(f"  ⚠ conflicts with: {markdown(fact.conflict)}")
    return "\n".join(lines)


def _footer(message: Message) -> str:
    when = _when(message.published) if message.published else None
    parts = (message.topic, message.source, when, message.why)
    return clip(clean(" · ".join(p for p in parts if p)), FOOTER_MAX)


def alert_embeds(message: Message) -> list[discord.Embed]:
    """The embeds of a message, in order; the first is the head, the rest continue it."""
    is_alert = message.kind == "alert"
    colour = COLOURS.get(message.verdict or "", NOTICE_COLOUR) if is_alert else NOTICE_COLOUR
    head = discord.Embed(
        title=clip(clean(message.headline), TITLE_MAX) or None,
        url=safe_link(message.link),
        colour=colour,
    )
    if is_alert and message.verdict:
        label = VERDICT_LABELS.get(message.verdict, message.verdict)
        head.add_field(name="Verdict", value=clip(clean(label), VERDICT_MAX), inline=True)
    if is_alert and (page := safe_link(message.page)):
        head.add_field(name="What we know", value=f"[the story's page]({page})", inline=True)
    footer = _footer(message)
    if footer:
        head.set_footer(text=footer)
    blocks = [markdown(p) for p in (message.summary or "").split("\n\n") if p.strip()]
    blocks += [_fact_block(fact) for fact in message.facts]
    if not blocks:
        return [head]
    first, *rest = split_text(blocks, DESCRIPTION_MAX, "\n\n")
    head.description = first
    return [head, *(discord.Embed(description=part, colour=colour) for part in rest)]


def alert_messages(message: Message) -> list[list[discord.Embed]]:
    """The embeds of a message packed into Discord messages (≤ 10 embeds, ≤ 6000 chars)."""
    batches: list[list[discord.Embed]] = []
    total = 0
    for embed in alert_embeds(message):
        size = len(embed)
        if batches and len(batches[-1]) < EMBEDS_PER_MESSAGE and total + size <= EMBED_TOTAL_MAX:
            batches[-1].append(embed)
            total += size
        else:
            batches.append([embed])
            total = size
    return batches


def reply_chunks(reply: Reply) -> list[str]:
    """A reply as markdown-safe texts of at most 2000 characters."""
    lines = [f"**{markdown(reply.title)}**", *(markdown(line) for line in reply.lines)]
    if reply.choices:
        lines.append("Try one of: " + ", ".join(markdown(c) for c in reply.choices))
    return split_text(lines, CONTENT_MAX)
