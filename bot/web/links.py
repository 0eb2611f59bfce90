"""Signed links to the pages: an HMAC over the path and an expiry, and the URLs alerts carry.

A page's address is `/t/<topic>` (the topic) or `/t/<topic>/s/<cluster>` (one story, named by
its cluster: the first story of the event). Unless the pages are public, a request must carry
`exp` (Unix seconds) and `sig` (hex HMAC-SHA256, keyed with NEWSDELTA_WEB_SECRET, of
"<path>\\n<exp>"); the query string beyond those two is not signed, so a search keeps its link
working. `Signer.check` says why a request is refused; a page signs the links it shows with
the expiry it was opened with, so a link never outlives the one it came from.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode


def topic_path(topic: str) -> str:
    return f"/t/{quote(topic, safe='')}"


def story_path(topic: str, cluster_id: int) -> str:
    return f"{topic_path(topic)}/s/{cluster_id}"


class Signer:
    """Signs and checks (path, expiry) pairs with one secret. Never logs or shows it."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode("utf-8")

    def __repr__(self) -> str:
        return "Signer(secret=***)"

    def signature(self, path: str, expires: int) -> str:
        message = f"{path}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def query(self, path: str, expires: int) -> dict[str, str]:
        return {"exp": str(expires), "sig": self.signature(path, expires)}

    def check(self, path: str, params: Mapping[str, str], now: float) -> str | None:
        """None when the request may read `path`; else the reason it may not."""
        exp, sig = params.get("exp", ""), params.get("sig", "")
        if not exp or not sig:
            return "this page needs a signed link"
        if not exp.isdigit():
            return "this link is malformed"
        if not hmac.compare_digest(self.signature(path, int(exp)), sig):
            return "this link's signature does not match"
        if int(exp) < now:
            return "this link has expired"
        return None


@dataclass(frozen=True)
class Access:
    """How one rendered page links onward: signed with `expires`, or public."""

    signer: Signer | None = None
    expires: int = 0

    def url(self, path: str, **params: str) -> str:
        query = {k: v for k, v in params.items() if v}
        if self.signer is not None:
            query.update(self.signer.query(path, self.expires))
        return path + ("?" + urlencode(query) if query else "")

    def hidden_fields(self, path: str) -> dict[str, str]:
        """The fields a GET form to `path` must carry (the search box)."""
        return self.signer.query(path, self.expires) if self.signer else {}


@dataclass(frozen=True)
class PageLinks:
    """The link an alert carries to its story's page: absolute, signed unless public."""

    base_url: str
    signer: Signer | None
    days: int = 30

    def story(self, topic: str, cluster_id: int, now: float) -> str:
        access = Access(self.signer, int(now) + self.days * 86_400)
        return self.base_url.rstrip("/") + access.url(story_path(topic, cluster_id))
