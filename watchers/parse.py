"""Feed bytes → `ParsedFeed`: title, clean bounded `Story`s, TTL — or a one-line error.

The only importer of feedparser. It is given bytes we fetched ourselves (wrapped in a file
object, so it never opens a URL or a path), decoded to UTF-8 the way feedparser would, minus
character references to impossible code points (`&#xD800;` crashes feedparser). A document
feedparser still chokes on gives "parser failed: ...". What comes out is safe to store and
to show:
- A document that declares entities (`<!ENTITY`: billion laughs, quadratic blowup, XXE) is
  rejected before parsing, after decoding it exactly as feedparser would (UTF-16/32, EBCDIC,
  UTF-7 ... cannot hide a declaration).
- A document that is not a feed (an HTML page) gives "not a feed: ..."; nothing is
  autodiscovered. A document that ends early gives "truncated document: ...", never half a
  feed. With an error, `stories` is empty.
- HTML becomes plain text (selectolax; script/style dropped; paragraphs, list items and line
  breaks become newlines). Titles are one line. Every string loses NUL, C0/C1 controls,
  lone surrogates, bidi embeddings/overrides/isolates and zero-width characters.
- Links: http/https only (javascript:, data: ... dropped), relative ones resolved against
  `feed_url`, over 2,000 characters dropped (a cut URL is a wrong URL).
- Dates: published, else updated, else created. A date without a timezone is taken as UTC;
  one in the future is clamped to `now`; an unparseable one becomes None (the item is kept).
- An item's source is the outlet its own `<source>` names (a news-search feed's items each
  come from another outlet), else the feed's name.
- Title over 500 characters and text over 20,000 are cut, ending in "…".
- Over `max_items` entries: the newest `max_items` by date are kept (undated ones count as
  oldest), in document order. Entries with no title, text or link are skipped.
- Keys come from `watchers.canonical.story_key`. When two entries of one document share a
  key (e.g. a reused guid), the first keeps it and a later one gets its content-hash key; an
  exact repeat is dropped.
`ttl` is the feed's <ttl> in seconds.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax import SAXParseException

import feedparser
from feedparser.encodings import convert_to_utf8
from selectolax.lexbor import LexborHTMLParser

from watchers.canonical import story_key
from watchers.models import Story

MAX_TITLE = 500
MAX_TEXT = 20_000
MAX_LINK = 2_000
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_REJECTED = "rejected: document declares entities (entity expansion or XXE risk)"
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_HTML_PAGE = re.compile(rb"<html[\s>]|<!doctype\s+html", re.IGNORECASE)
_ENDS_EARLY = ("no element found", "unclosed token", "unclosed cdata section")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_DROPPED_TAGS = "script, style, noscript, template, iframe, object, embed, svg, math"
_BLOCK_TAGS = (
    "p, div, br, hr, li, dt, dd, h1, h2, h3, h4, h5, h6, blockquote, pre, tr, table, "
    "ul, ol, dl, section, article, header, footer, aside, figure, figcaption, address"
)
_INVISIBLE = (
    *range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0),  # C0, DEL, C1
    *range(0xD800, 0xE000),  # surrogates (a str holds only lone ones)
    *range(0x202A, 0x202F), *range(0x2066, 0x206A),  # bidi embeddings, overrides, isolates
    0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E,  # zero-width, soft hyphen
)  # fmt: skip
_CLEAN = str.maketrans(
    {**dict.fromkeys(_INVISIBLE), 0x09: " ", 0x0D: "\n", 0x2028: "\n", 0x2029: "\n"}
)
_BREAK = "\ue000"  # private-use stand-in for a block boundary while whitespace collapses
_WHITESPACE = re.compile(r"\s+")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    stories: list[Story]
    ttl: int | None  # seconds, from <ttl> minutes
    error: str | None  # one line when the document is not a usable feed
    warning: str | None = None  # one line when it was ill-formed but its items were recovered


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    source: str,
    max_items: int = 500,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse a fetched feed document into stories (synchronous: run it in a thread)."""
    now = _as_utc(now) if now else datetime.now(UTC)
    if not body.strip():
        return ParsedFeed("", [], None, "not a feed: empty document")
    headers = {"content-location": feed_url}
    try:
        data = _as_utf8(body, headers)
        if _ENTITY_DECLARATION.search(body) or _ENTITY_DECLARATION.search(data):
            return ParsedFeed("", [], None, _REJECTED)
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as exc:  # hostile input must not take the poll loop down
        detail = " ".join(str(exc).split())[:200]
        return ParsedFeed("", [], None, f"parser failed: {type(exc).__name__}: {detail}")
    title = clip(one_line(_detail_text(parsed.feed, "title")), MAX_TITLE)
    problem = _unusable(parsed, body)
    if problem:
        return ParsedFeed(title, [], None, problem)
    entries = _newest(parsed.entries, max_items, now)
    stories = _stories(entries, feed_url, source, now)
    warning = None
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), SAXParseException):
        exc = parsed["bozo_exception"]
        warning = (
            f"ill-formed XML ({exc.getMessage()} at line {exc.getLineNumber()}); "
            f"{len(stories)} items recovered"
        )
    return ParsedFeed(title, stories, _ttl(parsed.feed), None, warning)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML fragment: whitespace collapses as a browser would, and
    blocks and <br> become newlines."""
    tree = LexborHTMLParser(html)
    for node in tree.css(_DROPPED_TAGS):
        node.decompose()
    for node in tree.css(_BLOCK_TAGS):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    text = tree.body.text(deep=True) if tree.body else ""
    return clean_text(_WHITESPACE.sub(" ", text).replace(_BREAK, "\n"))


def clean_text(text: str) -> str:
    """`text` without invisible or control characters, one space between words, and single
    newlines between paragraphs."""
    text = unicodedata.normalize("NFC", text.translate(_CLEAN))
    return _NEWLINES.sub("\n", _SPACES.sub(" ", text)).strip()


def one_line(text: str) -> str:
    """`clean_text` on a single line (titles, links, guids)."""
    return " ".join(clean_text(text).split())


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_link(raw: str | None, base: str) -> str | None:
    """`raw` resolved against `base` if it is an http(s) URL of sane length, else None."""
    link = one_line(raw or "").replace(" ", "%20")
    if not link:
        return None
    try:
        link = urljoin(base, link) if base else link
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return link if len(link) <= MAX_LINK else None


def _as_utf8(body: bytes, headers: Mapping[str, str]) -> bytes:
    """The document decoded exactly as feedparser decodes it, re-encoded as UTF-8, without
    character references to code points that cannot exist (they crash feedparser)."""
    return _CHAR_REF.sub(_valid_char_ref, convert_to_utf8(dict(headers), body, {}))


def _valid_char_ref(match: re.Match[bytes]) -> bytes:
    hex_digits, decimal = match.group(1), match.group(2)
    digits = (hex_digits or decimal).lstrip(b"0") or b"0"
    if len(digits) > 8:
        return b""
    value = int(digits, 16 if hex_digits else 10)
    return match.group(0) if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else b""


_CLOSED = re.compile(rb"</(?:[\w-]+:)?(?:rss|feed|RDF)>\s*(?:<!--.*?-->\s*)*\Z", re.S | re.I)


def _unusable(parsed: Any, body: bytes) -> str | None:
    if not parsed.version and not parsed.entries:
        if _HTML_PAGE.search(body[:4096]):
            return "not a feed: text/html page"
        return "not a feed: no RSS or Atom feed found"
    exc = parsed.get("bozo_exception")
    if isinstance(exc, SAXParseException) and exc.getMessage().lower() in _ENDS_EARLY:
        return f"truncated document: {exc.getMessage()} at line {exc.getLineNumber()}"
    if isinstance(exc, SAXParseException) and not _CLOSED.search(body[-1024:]):
        return f"truncated document: no closing root tag ({exc.getMessage()})"
    return None


def _stories(entries: list[Any], feed_url: str, source: str, now: datetime) -> list[Story]:
    stories: list[Story] = []
    seen: set[str] = set()
    for entry in entries:
        story = _story(entry, feed_url, source, now)
        if story is None:
            continue
        if story.key in seen:
            story = replace(story, key=story_key(None, None, story.title, story.text))
            if story.key in seen:
                continue
        seen.add(story.key)
        stories.append(story)
    return stories


def _story(entry: Any, feed_url: str, source: str, now: datetime) -> Story | None:
    title = clip(one_line(_detail_text(entry, "title")), MAX_TITLE)
    text = clip(_entry_text(entry), MAX_TEXT)
    link = safe_link(entry.get("link"), feed_url)
    if not (title or text or link):
        return None
    guid = one_line(entry.get("id") or "")
    if guid and not guid.startswith(("http://", "https://", "urn:", "tag:")):
        guid = f"{feed_url}#{guid}"  # a bare guid ("1", "item-7") is unique only in its feed
    return Story(
        key=story_key(guid or None, link, title, text),
        title=title,
        text=text,
        source=_outlet(entry) or source,
        link=link,
        published=_published(entry, now),
        feed_url=feed_url,
    )


def _outlet(entry: Any) -> str:
    """The outlet an aggregator's item names in its own `<source>` (RSS and Atom), if any:
    a news-search feed's items each come from another outlet."""
    found = entry.get("source")
    title = found.get("title") if isinstance(found, dict) else None
    return clip(one_line(clean_text(title)), MAX_TITLE) if isinstance(title, str) else ""


def _detail_text(item: Any, name: str) -> str:
    """Plain text of a feedparser text construct (`title`, `summary`), honouring its type."""
    value = item.get(name) or ""
    kind = (item.get(f"{name}_detail") or {}).get("type", "")
    return html_to_text(value) if kind in _HTML_TYPES else clean_text(value)


def _entry_text(entry: Any) -> str:
    """The longer of the entry's full content and its summary, as plain text."""
    texts = [_detail_text(entry, "summary")]
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        kind = content.get("type", "")
        texts.append(html_to_text(value) if kind in _HTML_TYPES else clean_text(value))
    return max(texts, key=len)


def _published(entry: Any, now: datetime) -> datetime | None:
    for name in ("published", "updated", "created"):
        # dict.get: feedparser's own .get maps a missing "updated" to "published", noisily
        when = _from_struct(dict.get(entry, f"{name}_parsed")) or _from_text(dict.get(entry, name))
        if when is not None:
            return min(when, now)
    return None


def _from_struct(value: Any) -> datetime | None:
    """feedparser's parsed dates are UTC struct_times (None when it saw no timezone)."""
    if not value:
        return None
    try:
        return datetime(*value[:5], min(value[5], 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _from_text(value: Any) -> datetime | None:
    """RFC 822 or ISO 8601 text that feedparser left unparsed; no timezone means UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    for parse in (parsedate_to_datetime, datetime.fromisoformat):
        try:
            return _as_utc(parse(value.strip()))
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
    return None


def _as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _newest(entries: list[Any], limit: int, now: datetime) -> list[Any]:
    """At most `limit` entries, the newest by date (undated count as oldest), in order."""
    if len(entries) <= limit:
        return list(entries)
    floor = datetime.min.replace(tzinfo=UTC)
    dates = [_published(entry, now) or floor for entry in entries]
    chosen = sorted(range(len(entries)), key=dates.__getitem__, reverse=True)[: max(limit, 0)]
    return [entries[i] for i in sorted(chosen)]


def _ttl(feed: Any) -> int | None:
    try:
        minutes = int(str(feed.get("ttl", "")).strip())
    except ValueError:
        return None
    return minutes * 60 if minutes > 0 else None
