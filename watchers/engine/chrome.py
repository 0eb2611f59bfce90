"""Page chrome: the parts of a web page that are not news and never count as facts.

`is_chrome(line)` recognises bylines, timestamps ("Updated 3 min ago", a bare date and time),
photo credits and captions, calls to action ("Read more", "Share on X", "Follow us"),
newsletter and cookie boxes, "Source: https://…" and other link-only lines, sidebar headers
("Most read", "Related"), copyright lines, the outlet talking to its audience ("for readers
who missed…", "Here is what…", "More after the break"), and sentences addressed to a
summariser, a bot or an AI ("Ignore all previous instructions…"). Such lines are only ever
dropped: nothing in them is acted upon. The patterns are English; other languages get the
language-free ones (links, times, credits). Cheap substring cues guard the costly patterns.
"""

from __future__ import annotations

import re
from functools import lru_cache

from watchers.engine.lexicon import MONTHS, WEEKDAYS

_NAME = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_BYLINE = re.compile(
    rf"^(?:by|written by|text by|words by)\s+{_NAME}(?:\s*(?:,|and|&|\||·|–|—|-)\s*{_NAME})*"
    r"\s*\.?$"
    r"|^\(?(?:additional\s+)?(?:reporting|writing|editing|compiled|translated)\s+by\b",
    re.I,
)
_TIMESTAMP = re.compile(
    r"^(?:updated|published|posted|last updated|first published|modified|edited)\b[^.]{0,40}\d"
    r"|\b\d+\s*(?:sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|days?|weeks?)\s+ago\b"
    r"|\b\d+\s*(?:-|\s)?min(?:ute)?s?\s+read\b",
    re.I,
)
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_CREDIT = re.compile(
    r"^(?:photo|photos|image|images|picture|file photo|caption|credit|photograph|video|"
    r"illustration|graphic)s?\b\s*(?:credit)?\s*[:|/©-]"
    r"|\b(?:getty images|ap photo|afp photo|photo by|photo credit|via reuters|reuters/|"
    r"afp via|/afp|/ap\b|/epa|/reuters|sputnik/|anadolu agency via|©)",
    re.I,
)
_CALL = re.compile(
    r"^(?:read more|read also|also read|read next|see also|related|related articles?|"
    r"more on this|more from|more:|continue reading|click here|watch|listen|share|"
    r"share on|share this|tweet|email|print|copy link|follow us|follow|subscribe|sign up|"
    r"advertisement|sponsored|comments?|tags?|topics?|most read|most popular|trending|"
    r"recommended|latest news|editor'?s picks|you may also like|top stories)\b",
    re.I,
)
_BOX = re.compile(
    r"\b(?:newsletters?|inbox|privacy policy|terms of (?:use|service)|all rights reserved|"
    r"cookie policy|we use cookies)\b"
    r"|\b(?:subscribe|sign up|register)\b.{0,40}\b(?:our|free|daily|weekly|now|today|updates|"
    r"alerts|briefing)\b|^©|^copyright\b",
    re.I,
)
_LINK = re.compile(r"https?://\S+|www\.\S+|\b[\w-]+\.(?:com|org|net|ir|ru)/\S*", re.I)
_SOURCE = re.compile(r"^(?:source|sources|via|originally published|this article)\b\s*:?", re.I)
_ADDRESSED = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,60}\b(?:instructions?|prompts?|rules|"
    r"guidelines)\b"
    r"|\b(?:system prompt|previous instructions|as an ai|prompt injection)\b"
    r"|\b(?:report|treat|classify|label|mark|flag|present)\s+(?:this|it)\s+as\b"
    r"|\bif you are an? (?:ai|bot|language model|llm|assistant|summari[sz]er)\b"
    r"|\b(?:ai|a\.i\.|llms?|language models?|chatbots?|summari[sz]ers?|summari[sz]ing "
    r"(?:tools?|systems?|models?)|bots?|crawlers?|automated (?:systems?|tools?|readers?))\b"
    r"[^.]{0,60}\b(?:must|should|shall|please|are instructed|are required)\b"
    r"|^(?:note|attention|instructions?|important|message)\s*(?:to|for)?\s+(?:the\s+|all\s+)?"
    r"(?:ai|bots?|summari[sz]ers?|language models?|assistants?|llms?)\b",
    re.I,
)
_FRAMING = re.compile(
    r"\b(?:(?:our|for|dear)\s+(?:readers|listeners|viewers|subscribers)|more after the break|"
    r"stay with us|top stor(?:y|ies) (?:this|today|tonight)|a recap for|"
    r"in case you missed it)\b|^here(?:'s|’s| is| are) (?:what|how|why|everything)\b"
    r"|^here(?:'s|’s| is| are)\b.{0,40}\bthings?\b"
    r"|\b(?:things|everything|what) (?:you )?(?:need |should )?to know\b"
    r"|\b(?:join|follow) (?:us|our)\b.{0,40}\b(?:telegram|whatsapp|google news|channel|x|"
    r"twitter|facebook|instagram)\b|\bdownload (?:the|our)\b.{0,30}\bapp\b"
    r"|^the post\b.{0,200}\bappeared first on\b"
    r"|\bwith inputs? from\b|\bcontributed to this report\b"
    r"|\bpublished from a wire agency feed\b|^\(?(?:compiled|edited|translated) by\b",
    re.I,
)
_WORD = re.compile(r"[^\W_]+")
_ADDRESSED_CUES = (
    "instruction", "prompt", "ignore", "disregard", "override", " ai", "ai ", "a.i.", "llm",
    "language model", "chatbot", "summari", " bot", "bots", "crawler", "automated", "attention",
    "note to", "note for", "this as", "it as", "if you are", "message to", "message for",
)  # fmt: skip
_FRAMING_CUES = (
    "readers", "listeners", "viewers", "subscribers", "break", "stay with", "top stor", "recap",
    "missed", "here", "to know", "join", "follow", "download", "appeared first", "inputs",
    "contributed", "wire agency", "compiled", "edited", "translated",
)  # fmt: skip
_CREDIT_CUES = (
    "photo", "image", "picture", "credit", "caption", "video", "illustration", "graphic",
    "getty", "reuters", "afp", "/ap", "/epa", "sputnik", "anadolu", "©",
)  # fmt: skip
_BOX_CUES = (
    "newsletter", "inbox", "privacy", "terms of", "rights reserved", "cookie", "subscribe",
    "sign up", "register", "©", "copyright",
)  # fmt: skip
_TIME_WORDS = frozenset("am pm gmt utc est cet msk irst local time at".split())


def _is_bare_date(line: str) -> bool:
    """A short line made only of calendar words, numbers and clock times."""
    words = [w.lower() for w in _WORD.findall(line)]
    return bool(words) and all(
        w.isdecimal() or w in MONTHS or w in WEEKDAYS or w in _TIME_WORDS for w in words
    )


def _mentions(low: str, cues: tuple[str, ...]) -> bool:
    """A cheap test run before a costly pattern: does the text contain any cue at all?"""
    return any(cue in low for cue in cues)


@lru_cache(maxsize=20_000)
def is_chrome(line: str) -> bool:
    """Whether a line or sentence is page furniture rather than news."""
    text = line.strip().strip("*•·|>-–— ")
    if not text:
        return True
    low = text.lower()
    words = len(text.split())
    if words <= 14 and (
        _BYLINE.search(text) or _TIMESTAMP.search(text) or _CALL.search(text)
        or (len(text) <= 60 and _is_bare_date(text)) or (words <= 8 and _CLOCK.search(text))
    ):  # fmt: skip
        return True
    if _mentions(low, _ADDRESSED_CUES) and _ADDRESSED.search(text):
        return True
    if words <= 25 and _mentions(low, _FRAMING_CUES) and _FRAMING.search(text):
        return True
    if _mentions(low, _CREDIT_CUES) and _CREDIT.search(text):
        return True
    if _mentions(low, _BOX_CUES) and _BOX.search(text):
        return True
    if not _mentions(low, ("http", "www.", ".com", ".org", ".net", ".ir", ".ru")):
        return False
    return _LINK.search(text) is not None and (words <= 25 or _SOURCE.search(text) is not None)
