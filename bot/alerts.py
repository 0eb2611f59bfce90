"""Render an outbox row into a neutral `Message`, making feed text safe on the way.

Everything that came from a feed passes `clean()` (no NUL or control characters, no
lone surrogates, no bidi overrides or zero-width characters, whitespace collapsed) and
every link passes `safe_link()` (http/https only). Platform-specific escaping of markup
and mentions is the adapter's job; this is the part every platform shares.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from .messages import FactLine, Message

_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def clean(text: Any, limit: int = 4000) -> str:
    """Feed text made safe to show: printable, single-spaced, at most `limit` characters."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFC", _INVISIBLE.sub("", str(text)))
    value = _SPACES.sub(" ", value).strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def safe_link(url: Any) -> str | None:
    """The URL when it is a plain http(s) link without spaces or controls; else None."""
    if not isinstance(url, str):
        return None
    value = url.strip()
    parts = urlsplit(value)
    ok = parts.scheme in ("http", "https") and parts.netloc and not _INVISIBLE.search(value)
    return value if ok and " " not in value and len(value) <= 2000 else None


def _marked(text: str, language: Any) -> str:
    """A fact quoted in another language is marked with it: "[da] Traktaten består af …"."""
    code = clean(language, 8) if isinstance(language, str) else ""
    return f"[{code}] {text}" if code and code.isalpha() else text


def render(
    kind: str, payload: dict[str, Any], thread: str | None = None, page: str | None = None
) -> Message:
    """The message for an alert or notice row; `page` links the story's "what we know"
    page (made by `bot.web.links`, never from feed text)."""
    facts = tuple(
        FactLine(
            text=_marked(clean(f.get("text"), 1500), f.get("language")),
            source=clean(f.get("source"), 200),
            link=safe_link(f.get("link")),
            date=clean(f.get("date"), 40) or None,
            conflict=clean(f.get("conflict"), 600) or None,
        )
        for f in payload.get("facts") or []
    )
    return Message(
        kind="alert" if kind == "digest" else kind,  # a digest shows as an alert of its own
        headline=clean(payload.get("headline"), 300) or "(untitled)",
        verdict=payload.get("verdict") if kind in ("alert", "digest") else None,
        link=safe_link(payload.get("link")),
        topic=clean(payload.get("topic"), 100) or None,
        source=clean(payload.get("source"), 200) or None,
        published=clean(payload.get("published"), 40) or None,
        why=clean(payload.get("why"), 500) or None,
        summary=clean(payload.get("summary"), 1500) or None,
        facts=facts,
        thread=thread,
        page=page,
    )
