"""What a feed glues onto the news, taken off at the level of characters and clauses.

Real feed bodies are not tidy prose (`../shared/DESIGN.md`): the title is repeated as the first
paragraph, often without a full stop and with a dateline after it; agency tags and datelines
stick to the first word of a sentence; labels ("ADVERTISEMENT") run into the next sentence; a
text-to-speech widget's caption in another script runs into the lead; related headlines run
onto the last sentence; credits and promos close the item; excerpts stop mid-word. A
whole-line chrome filter (`chrome.is_chrome`) misses all of these, so this module works inside
lines and sentences:

- `drop_title(text, title)`: the body without the title it opens with — as its own paragraph,
  glued to the first sentence, or followed by a dateline — and without later lines that only
  repeat the title.
- `unglue(text)`: labels, "Read more:" runs and pipe-table rows turned into paragraph breaks.
- `strip_dateline(sentence)`: a sentence without a leading dateline or agency tag, or a widget
  caption in another script at either end; `strip_tail(sentence)`: without a trailing credit
  or a run of title-case headlines glued onto its end.
- `truncated(sentence)`: whether a body's last sentence is an excerpt cut short; its cut-off
  last word is dropped by `trim_excerpt`.

Hand-written because no well-kept library does this: article extractors (trafilatura,
readability) work on whole HTML pages and their DOM, while a feed gives a flattened string in
which the chrome is already glued to the text.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

TITLE_MATCH = 88  # rapidfuzz ratio at which the body's opening words are the title again
OUTLET_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")  # "… treaty | Tehran Times"
_WORDS = re.compile(r"\S+")
_AGENCY = r"\((?:[A-Z][\w.&/' -]{0,28}|[a-z]{2,5})\)"  # (Reuters), (IRNA), (AFP), (dpa)
_MONTH_DAY = r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8})(?:,?\s*\d{4})?"
_DASH = r"\s*(?:--|[-–—:])\s*"
DATELINE = re.compile(
    r"^(?:\[[^\]]{1,30}\]\s*)*"  # [Subscribe] and other button labels
    r"(?:By\s+(?:[A-Z][\w.'’-]*\s+){1,4}(?:staff|correspondents?|reporters?|desk|editors?)\s+)?"
    r"(?:"
    rf"[A-Z][\w.'’/ -]{{1,30}}?,?\s*(?:{_MONTH_DAY}\s*)?{_AGENCY}(?:{_DASH}|\s+)"  # MOSCOW (AP)
    rf"|{_AGENCY}{_DASH}"  # (IRNA) –
    # Moscow, Jan 17 -
    rf"|[A-Z][\w.'’ -]{{1,30}},\s*{_MONTH_DAY}\s*(?:,\s*[A-Z][\w ]{{1,20}})?{_DASH}"
    rf"|[A-Z][A-Z.'’/ -]{{2,30}}(?:,\s*[A-Z][\w .]{{1,20}})?{_DASH}"  # MOSCOW — / TEHRAN, Iran:
    r"|[A-Z][\w ]{1,30}/\s*(?=[A-Z])"  # Shafaq News/ , ANKARA/
    r"|(?:[A-Z][\w.]+\s+){0,3}(?:News|Agency|Press|Times|TV|Online|Daily|Wire|Post)"
    rf"(?:\s+[A-Z][\w.]+){{0,2}}{_DASH}"  # Tasnim News Agency –
    r")"
)
LABEL = re.compile(
    r"(?<![A-Za-z])(?:ADVERTISEMENT|SPONSORED|SCROLL TO CONTINUE WITH CONTENT|SKIP AD)(?![a-z])"
    r"|(?:(?<=[.!?”\"])\s*|^)(?:Advertisement|Sponsored content|Story continues below"
    r"(?: advertisement)?|Article continues below|Continue reading(?: below)?|Skip ad|"
    r"Listen to (?:this )?(?:article|story|news)|Play audio|Pause audio)(?![a-z])"
    r"(?=\s*(?:[A-Z\"“]|$))",
    re.M,
)
READ_MORE = re.compile(
    r"(?:(?<=[.!?”\"])\s*|^)(?:Read more|Read also|Also read|See also|"
    r"Related(?: articles?| stories| news)?|More on this|Recommended|Most read|"
    r"You may also like)\s*[:|»>-]+[^\n]*",
    re.I | re.M,
)
TABLE_ROW = re.compile(r"^\s*\|?(?:[^|\n]*\|){2,}[^|\n]*$", re.M)
CREDIT_TAIL = re.compile(
    r"\s*(?:\((?:(?:With )?(?:inputs|reporting|writing|editing|additional reporting)\b[^()]{0,160}"
    r"|[A-Z]{2,8}(?:,\s*[A-Z]{2,8})*)\)"
    r"|[-–—]+\s*(?:AFP|AP|Reuters|IRNA|TASS|RIA Novosti|Xinhua|PTI|ANI|dpa|Sputnik|Agencies)"
    r"|With inputs from [\w ,&]{2,60})\.?$",
    re.I,
)
_LEADING_JUNK = re.compile(
    r"^(?:[^\w\"“'‘«(]+|\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"|\((?:photo|image|file photo|video|picture)\b[^)]{0,60}\)\s*)+",
    re.I,
)  # punctuation, a clock time, a "(Photo: …)" credit before the first word
_LATIN = re.compile(r"[A-Za-zÀ-ÿĀ-ſ]")
_CYRILLIC = re.compile(r"[Ѐ-ӿ]")
_ARABIC = re.compile(r"[؀-ۿݐ-ݿ]")
_SMALL_WORDS = frozenset(
    "a an the and or of in on at to for by with from as is are was after over into vs".split()
)
HEADLINE_TAIL = 6  # a run of at least this many title-case words glued on is a headline list
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\)|…|\.\.\.)\s*$")


def _norm_words(text: str) -> list[str]:
    return [w for w in re.sub(r"[^\w\s]", " ", text.lower()).split() if w]


def _title_words(title: str) -> list[str]:
    return _norm_words(OUTLET_SUFFIX.sub("", title.strip()) or title)


def _opening_end(text: str, title: list[str]) -> int | None:
    """The character offset where the title the text opens with ends, if it opens with it."""
    if len(title) < 3:
        return None
    spans = [m.span() for m in _WORDS.finditer(text[: 40 * len(title) + 200])]
    wanted = " ".join(title)
    best, end = 0.0, None
    for count in range(max(2, len(title) - 2), min(len(spans), len(title) + 3) + 1):
        piece = " ".join(_norm_words(text[: spans[count - 1][1]]))
        score = fuzz.ratio(piece, wanted)
        if score > best:
            best, end = score, spans[count - 1][1]
    return end if best >= TITLE_MATCH else None


def drop_title(text: str, title: str) -> str:
    """The body without the title repeated at its start (glued or not) or on a line of its own."""
    words = _title_words(title)
    if len(words) < 3:
        return text
    wanted = " ".join(words)
    kept = []
    for line in text.split("\n"):
        if line.strip() and fuzz.ratio(" ".join(_norm_words(line)), wanted) >= TITLE_MATCH:
            continue  # a line that only repeats the title
        kept.append(line)
    text = "\n".join(kept).lstrip()
    end = _opening_end(text, words)
    if end is not None and (end == len(text) or not text[end].isalnum()):
        rest = text[end:].lstrip(" .:–—-|\t")
        if not rest[:1].islower():  # "…in Tehran with a capital of…" is a lead, not a title
            text = rest
    return text


def unglue(text: str) -> str:
    """Labels, "Read more:" runs and table rows become paragraph breaks."""
    text = TABLE_ROW.sub("\n\n", text)
    text = READ_MORE.sub("\n\n", text)
    return LABEL.sub("\n\n", text)


def _script(word: str) -> str:
    if _LATIN.search(word):
        return "latin"
    if _CYRILLIC.search(word):
        return "cyrillic"
    if _ARABIC.search(word):
        return "arabic"
    return "other" if any(c.isalpha() for c in word) else ""


def _strip_other_script(sentence: str) -> str:
    """A sentence without a run of words in another script at its start or end (a widget's
    caption), when one script writes most of its words."""
    words = sentence.split()
    scripts = [_script(w) for w in words]
    counted = [s for s in scripts if s]
    if len(counted) < 4:
        return sentence
    main = max(set(counted), key=counted.count)
    if counted.count(main) * 2 <= len(counted):
        return sentence
    start = 0
    while start < len(words) and scripts[start] not in (main, ""):
        start += 1
    end = len(words)
    while end > start and scripts[end - 1] not in (main, ""):
        end -= 1
    if start == 0 and end == len(words):
        return sentence
    return " ".join(words[start:end])


def _cut_headline_tail(sentence: str) -> str:
    """A sentence without related headlines run onto its end (title-case words, no full stop)."""
    if sentence.rstrip().endswith((".", "!", "?", '"', "”", "’", "»", ")", ":", ";")):
        return sentence
    words = sentence.split()
    capitalised = [w[:1].isupper() or w[:1].isdigit() or w.lower() in _SMALL_WORDS for w in words]
    run = 0
    while run < len(words) and capitalised[len(words) - 1 - run]:
        run += 1
    if run < HEADLINE_TAIL:
        return sentence
    return " ".join(words[: len(words) - run])


def strip_dateline(sentence: str) -> str:
    """The sentence without a dateline or agency tag before its first word (and without a
    caption in another script before that)."""
    text = _LEADING_JUNK.sub("", _strip_other_script(sentence.strip()))
    for _ in range(2):  # a dateline can follow a stripped agency tag: "(IRNA) TEHRAN –"
        stripped = DATELINE.sub("", text, count=1)
        if stripped == text or not (stripped[:1].isalnum() or stripped[:1] in "\"“'‘«"):
            break
        text = stripped
    return text


def strip_tail(sentence: str) -> str:
    """The sentence without a credit after it or a headline list run onto its end."""
    return _cut_headline_tail(CREDIT_TAIL.sub("", sentence).strip()).strip()


def truncated(sentence: str) -> bool:
    """Whether a body's last sentence stops short: an ellipsis, or no closing punctuation."""
    text = sentence.rstrip()
    return bool(_ELLIPSIS.search(text)) or not text.endswith(tuple('.!?؟。"”’»)'))


def trim_excerpt(sentence: str) -> str:
    """An excerpt's last sentence without its ellipsis and the word it cut off."""
    text = _ELLIPSIS.sub("", sentence.rstrip())
    words = text.split()
    return " ".join(words[:-1]) if len(words) > 1 else ""
