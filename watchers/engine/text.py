"""A story body as sentences: HTML flattened, hard-wrapped lines joined, page chrome dropped.

`sentences(text)` is what the engine calls a story's statements. It accepts plain text or light
HTML (or text whose paragraphs were already run together), joins lines a wire service
hard-wrapped, removes a wire dateline ("MOSCOW, Jan 17 (Reuters) -", "Shafaq News/") together
with an outlet's short intro before it, splits sentences (keeping "Jan.", "U.S.", "Mr."
intact), and leaves out everything that is not a statement of news (`chrome.is_chrome`):
bylines, timestamps, photo credits, "Read more" and share links, newsletter boxes, "Source:
https://…" lines, headings and sidebar lists (short lines without a full stop), labels of
fewer than `MIN_WORDS` words, and lines addressed to a summariser or an AI ("Ignore previous
instructions…"), which are text to drop, never orders to follow.
"""

from __future__ import annotations

import html
import re

from watchers.engine.chrome import is_chrome
from watchers.engine.intake import (
    OUTLET_SUFFIX,
    drop_title,
    strip_dateline,
    strip_tail,
    trim_excerpt,
    truncated,
    unglue,
)

_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:p|div|br|li|ul|ol|h[1-6]|blockquote|figure|figcaption|"
                        r"table|tr|section|article|header|footer|aside)\b[^>]*>", re.I)  # fmt: skip
_DROP_ELEMENT = re.compile(r"<(script|style|figcaption)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_TERMINAL = '.!?؟。…"”’»)'
_QUESTION = re.compile(r"[?؟][\"”’»)]*$")  # a question asks; it states no fact
_BOUNDARY = re.compile(r"[.!?؟]+[\"”’»)]*\s+")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st prof gen col lt sgt rep sen gov jan feb mar apr jun jul aug sep sept oct "
    "nov dec no vs etc inc ltd co corp jr sr approx".split()
)
_JOINING_WORDS = frozenset(
    "a an the and or but of to in on at by for with from as that which who whose its their his "
    "her our".split()
)
HEADING_WORDS = 15  # a stand-alone line this short without a full stop is a heading or a link
MIN_WORDS = 4  # fewer words make a label ("Economy."), not a statement
CHROME_LINE_WORDS = 25  # longer lines are judged sentence by sentence
FRAMING = 2  # sentences before a wire dateline that are the outlet's own introduction


def plain_text(text: str) -> str:
    """The text of a feed body: tags removed (blocks become paragraphs), entities decoded."""
    if "<" in text and _TAG.search(text):
        text = _DROP_ELEMENT.sub("\n\n", text)
        text = _TAG.sub("", _BLOCK_TAG.sub("\n\n", text))
    text = html.unescape(text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\n\s*\n\s*", "\n\n", text).strip()


def _joins(line: str, following: str) -> bool:
    """Whether a hard line break between these two lines sits inside one sentence."""
    if not line or line.endswith(tuple(_TERMINAL + ":")):
        return False
    last = line.split()[-1].lower()
    return following[:1].islower() or last in _JOINING_WORDS or len(line) >= 50


def _lines(block: str) -> list[str]:
    """The lines of a paragraph, hard-wrapped pieces joined, short chrome lines left out."""
    lines: list[str] = []
    for raw in block.split("\n"):
        line = raw.strip()
        if not line or (
            len(line.split()) <= CHROME_LINE_WORDS
            and is_chrome(line)
            and len(split_sentences(line)) == 1
        ):
            continue
        if lines and _joins(lines[-1], line):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return lines


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph; abbreviations and lower-case continuations do not split."""
    pieces, start = [], 0
    for match in _BOUNDARY.finditer(paragraph):
        before = paragraph[start : match.start()].split()
        word = before[-1].lower().rstrip(".") if before else ""
        following = paragraph[match.end() : match.end() + 1]
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or following.islower():
            continue
        pieces.append(paragraph[start : match.end()].strip())
        start = match.end()
    pieces.append(paragraph[start:].strip())
    return [piece for piece in pieces if piece]


def _is_heading(line: str) -> bool:
    return not line.endswith(tuple(_TERMINAL)) and len(line.split()) < HEADING_WORDS


def _key(sentence: str) -> str:
    return re.sub(r"\W+", " ", sentence.lower()).strip()


def sentences(text: str, title: str = "") -> list[str]:
    """The statements of a story body, in order, without page chrome, headings, questions
    (an explainer's "What did they sign?") or repeats.

    The title is taken off the body's start (`intake.drop_title`) and labels glued into it
    are made breaks (`intake.unglue`). A wire dateline ("MOSCOW, Jan 17 (Reuters) -") marks
    where the wire copy starts: it is removed, and up to `FRAMING` sentences before it are the
    outlet's own framing, dropped too (only before the first dateline). An excerpt's cut-off
    last word never becomes a fact.
    """
    body = unglue(drop_title(plain_text(text), title) if title else plain_text(text))
    lines = [line for block in body.split("\n\n") for line in _lines(block)]
    pieces = [s for line in lines if not _is_heading(line) for s in split_sentences(line)]
    if pieces and truncated(pieces[-1]):
        pieces[-1] = trim_excerpt(pieces[-1])
    found: list[str] = []
    seen: set[str] = set()
    dateline = False
    for sentence in pieces:
        body = strip_dateline(sentence)
        if body != sentence and not dateline and len(found) <= FRAMING:
            found.clear()
            seen.clear()
        dateline = dateline or body != sentence
        body = strip_tail(body)
        key = _key(body)
        if (
            len(body.split()) >= MIN_WORDS
            and not _QUESTION.search(body)
            and not is_chrome(body)
            and not is_chrome(sentence)  # the cue may be what was stripped: "© 2025 …"
            and key not in seen
        ):
            seen.add(key)
            found.append(body)
    return found


def headline(title: str) -> list[str]:
    """A title as the one statement of an item without a body: one line, without the
    outlet's name after it ("… in Moscow - Caspian Courier"), if it says anything."""
    text = OUTLET_SUFFIX.sub("", " ".join(title.split())).strip()
    if len(text.split()) < MIN_WORDS or is_chrome(text):
        return []
    return [text]
