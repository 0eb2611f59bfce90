"""Canonical URLs and stable story keys.

`canonical_url` is for identity only — the key under which two spellings of one article
meet — never a URL to visit: it folds http into https, lowercases the host, drops the
fragment, the default port and tracking parameters (utm_*, fbclid, gclid, ...), and sorts
what is left of the query.

`story_key` names a story across polls, first match wins:
    "guid:<guid>"             the feed's own id (unique within one feed only),
    "url:<canonical link>",
    "hash:<32 hex digits>"    sha256 of the normalised title and text.
Guids or URLs over 200 characters are replaced by "sha256:<32 hex digits>" of themselves,
so a key never exceeds 250 characters.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "at_", "_hs", "pk_", "mtm_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "igshid", "srsltid", "mc_cid", "mc_eid", "mkt_tok", "ocid",
        "cmpid", "ncid", "sr_share", "_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id",
        "wt_mc", "guccounter", "guce_referrer", "guce_referrer_sig", "ref_src", "cmp",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_PART = 200
_SPACE = re.compile(r"\s+")


def is_tracking_param(name: str) -> bool:
    """True for query parameters that only track the reader (utm_source, fbclid, ...)."""
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The identity form of `url`; URLs that are not http(s) come back stripped only."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(sorted((k, v) for k, v in pairs if not is_tracking_param(k)))
    return urlunsplit(("https", netloc, parts.path or "/", query, ""))


def story_key(guid: str | None, link: str | None, title: str, text: str) -> str:
    """The stable key of a story: its guid, else its canonical link, else a content hash."""
    if guid and guid.strip():
        return "guid:" + _bounded(guid.strip())
    if link and link.strip():
        return "url:" + _bounded(canonical_url(link))
    return "hash:" + _digest(_normalised(title) + "\n" + _normalised(text))


def _normalised(text: str) -> str:
    """Case-, width- and whitespace-insensitive form of `text`."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _bounded(value: str) -> str:
    return value if len(value) <= _MAX_PART else "sha256:" + _digest(value)
