"""Conflicts: a fact that says the same thing as a known fact but with another value.

Two sentences are about the same thing when each states at least half of the other's content
terms, numbers and dates aside (`SAME_VALUE_SLOT`), or a quarter of them for a vote by a body
both name or a date told with the same verb, which real versions word differently
(`SAME_TALLY_SLOT`, `_same_claim`), and when they are about the same actor:
the names a sentence opens with ("Russia's State Duma voted…", "Deputies in the State Duma…")
must name someone the other opens with too — Iran's parliament voting 198–11 does not
contradict the State Duma voting 412–3. A sentence that opens with no name (“The treaty…”)
agrees with any. They then conflict when they give disjoint values in one slot:
- a date (day and month: "30 September" vs "2 October"),
- a vote or tally, however written ("395 to 1", "191–8", "backed by 398 deputies", "152 of
  170 deputies backed it, with 10 against"): tallies differ when a side both give differs,
- a count of the same unit ("four ships" vs "five warships"),
- or a yes/no: words of opposite meaning from `lexicon.OPPOSITES` ("by mutual consent" vs
  "automatically"); those words are evidence enough that one sentence states `SAME_THING`
  of the other. A bare negation is not compared: "no defence clause" and "stops short of
  a defence clause" say the same.
`Conflict.describe()` names both values in a short phrase, e.g. 'vote differs: "395 to 1" vs
"398 deputies"'. Facts from different sources are never merged; the caller keeps both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from watchers.engine.alignment import same_actor
from watchers.engine.candidates import Known
from watchers.engine.lexicon import MONTHS, NUMBER_WORDS, OPPOSED, OPPOSITES, WEEKDAYS
from watchers.engine.readings import Reading, term

SAME_VALUE_SLOT = 0.5  # both sentences state this share of each other: same thing, compare values
SAME_TALLY_SLOT = 0.25  # a vote or a date told the same way needs less (`_same_claim`)
CLAIM_WINDOW = 4  # words before a date or an amount that say what it is
_MAGNITUDES = frozenset(f"number:{u}" for u in ("", "billion", "million", "thousand", "percent"))
SAME_THING = 0.4  # one sentence states this share of the other, opposed words aside
_MONTH = "|".join(sorted((m for m in MONTHS if m.isascii() and len(m) > 2), key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?|({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?)\b",
    re.I,
)
_TALLY = re.compile(r"\b(\d+)\s*(?:-|–|—|to|votes? to)\s*(\d+)\b")
_VOTERS = r"(?:deputies|lawmakers|legislators|members|mps|senators|parliamentarians|delegates)"
_FOR = re.compile(
    rf"\b(\d+)\s+(?:of\s+(?:the\s+)?\d+\s+)?{_VOTERS}\s+(?:present\s+|there\s+)?"
    r"(?:vot(?:ed|ing)\s+(?:for|in favou?r)|backed|"
    r"supported|approved|endorsed)|\b(\d+)\s+(?:votes?\s+)?in favou?r"
    rf"|\b(?:backed|supported|approved|endorsed|passed|ratified)\s+(?:\w+\s+)?by\s+(\d+)\s+"
    rf"(?:{_VOTERS}|votes)",
    re.I,
)
_AGAINST = re.compile(
    rf"\b(\d+)\s+(?:{_VOTERS}\s+)?(?:voted\s+|voting\s+|votes?\s+)?against\b"
    r"|\bwith\s+(\d+)\s+(?:opposed|against|dissenting|no votes)",
    re.I,
)
_NUMBER = re.compile(r"\b(\d[\d,.]*\d|\d)\b(?:\s*-\s*|\s+)?([^\W\d_]+)?")
_WEEKDAY_TERMS = frozenset(term(w, "en") for w in WEEKDAYS if w.isascii())
_WORD_NUMBER = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.I)


@dataclass(frozen=True)
class Conflict:
    """A value of the new fact that differs from what known facts say."""

    slot: str  # "date", "vote", "yes/no" or "number"
    ours: str
    theirs: str
    known: tuple[Known, ...]

    def describe(self) -> str:
        return f'{self.slot} differs: "{self.ours}" vs "{self.theirs}"'


@lru_cache(maxsize=50_000)
def _values(text: str) -> dict[str, dict[str, str]]:
    """slot -> {canonical value: how the text writes it}."""
    text = _WORD_NUMBER.sub(lambda m: NUMBER_WORDS[m.group().lower()], text)
    slots: dict[str, dict[str, str]] = {}
    taken: list[tuple[int, int]] = []
    for match in _DATE.finditer(text):
        day, month = (match[1], match[2]) if match[1] else (match[4], match[3])
        canonical = f"{MONTHS[month.lower()]}-{int(day)}"
        slots.setdefault("date", {})[canonical] = match.group().strip()
        taken.append(match.span())
    votes = _votes(text, taken)
    if votes:
        slots["vote"] = votes
    for match in _NUMBER.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        unit = term(match[2].lower(), "en") if match[2] else ""
        slots.setdefault(f"number:{unit}", {})[match[1].replace(",", "")] = match.group().strip()
    return slots


def _votes(text: str, taken: list[tuple[int, int]]) -> dict[str, str]:
    """A tally however it is written: "150 votes to 12", "191-8", "152 of 170 deputies backed
    it, with 10 against", "backed by 398 deputies", "10 voted against". Canonical value
    "for-against", "?" where the text gives one side only."""
    found: dict[str, str] = {}
    for match in _TALLY.finditer(text):
        if any(a <= match.start() < b for a, b in taken) or _DATE.match(text, match.end() + 1):
            continue
        found[f"{match[1]}-{match[2]}"] = match.group()
        taken.append(match.span())
    if found:
        return found
    for_ = [m for m in _FOR.finditer(text) if not any(a <= m.start() < b for a, b in taken)]
    against = [m for m in _AGAINST.finditer(text) if not any(a <= m.start() < b for a, b in taken)]
    if not for_ and not against:
        return {}
    yes = next((g for m in for_ for g in m.groups() if g), "?")
    no = next((g for m in against for g in m.groups() if g), "?")
    taken.extend(m.span() for m in (*for_, *against))
    return {f"{yes}-{no}": " … ".join(m.group().strip() for m in (*for_, *against))}


def _tallies_differ(ours: str, theirs: str) -> bool:
    """Whether two "for-against" tallies disagree on a side both of them give."""
    pairs = zip(ours.split("-"), theirs.split("-"), strict=True)  # both "for-against"
    return any(a != b and "?" not in (a, b) for a, b in pairs)


def _plain_terms(reading: Reading, leave_out: frozenset[str] = frozenset()) -> dict[str, float]:
    """Content terms without numbers and dates (and without `leave_out`)."""
    return {
        t: w for t, w in reading.weights.items() if t not in reading.calendar and t not in leave_out
    }


@lru_cache(maxsize=50_000)
def _content(reading: Reading) -> dict[str, float]:
    """`_plain_terms` of a sentence, once per reading (readings are cached by text)."""
    return _plain_terms(reading)


def _shares(ours: dict[str, float], theirs: dict[str, float]) -> tuple[float, float]:
    """The share of each sentence's content weight that the other one states too."""
    if not ours or not theirs:
        return 0.0, 0.0
    shared = ours.keys() & theirs.keys()
    return (
        sum(ours[t] for t in shared) / sum(ours.values()),
        sum(theirs[t] for t in shared) / sum(theirs.values()),
    )


def _opposite(ours: Reading, theirs: Reading) -> tuple[str, str] | None:
    """Opposed words (from OPPOSITES) in sentences that otherwise say the same thing."""
    for left, right in OPPOSITES:
        for mine, other in ((left, right), (right, left)):
            if not (mine & set(ours.terms) and other & set(theirs.terms)) or other & set(
                ours.terms
            ):
                continue
            rest = _shares(_plain_terms(ours, mine), _plain_terms(theirs, other))
            if max(rest) >= SAME_THING:
                return _phrase(ours.text, mine), _phrase(theirs.text, other)
    return None


def _phrase(text: str, stems: frozenset[str]) -> str:
    """The words of `text` from the one before its first opposed word to its last one."""
    words = text.split()
    hits = [i for i, w in enumerate(words) if term(re.sub(r"\W", "", w.lower()), "en") in stems]
    if not hits:
        return ""
    return " ".join(words[max(0, hits[0] - 1) : hits[-1] + 1]).strip(",.;:")


def _same_claim(slot: str, ours: Reading, theirs: Reading) -> bool:
    """Whether two sentences make the same claim about a slot though their wording differs:
    a vote by the same named body ("Iran's parliament", "Deputies in the State Duma"); a date
    or a bare amount told with the same words before it ("entered into force on 2 October",
    "took effect on 30 September": force and effect are one term; "a capital of 12 billion" is
    not "payments worth 3.2 billion")."""
    if slot == "vote":
        return bool(ours.actor and theirs.actor)  # same_actor has already compared them
    kind = "date" if slot == "date" else "number"
    before = _before(ours.text, ours.lang, kind), _before(theirs.text, theirs.lang, kind)
    if kind == "number" and not any(before):
        return True  # both open with it: "Four ships…", "Five warships…"
    return not before[0].isdisjoint(before[1])


@lru_cache(maxsize=50_000)
def _before(text: str, lang: str, kind: str) -> frozenset[str]:
    """The content terms of the few words before each date (or number) a sentence names."""
    found: set[str] = set()
    for match in (_DATE if kind == "date" else _NUMBER).finditer(text):
        words = re.findall(r"[^\W\d_]+", text[: match.start()])[-CLAIM_WINDOW:]
        found.update(term(w.lower(), lang) for w in words if w.lower() not in MONTHS and len(w) > 3)
    return frozenset(found - _WEEKDAY_TERMS)


def _agree(slot: str, ours: dict[str, str], theirs: dict[str, str]) -> bool:
    if slot == "vote":
        return any(not _tallies_differ(a, b) for a in ours for b in theirs)
    return bool(ours.keys() & theirs.keys())


def find_conflict(reading: Reading, candidates: Iterable[Known]) -> Conflict | None:
    """The value on which `reading` contradicts known facts about the same thing, if any.

    A slot conflicts only when no known fact about the same thing agrees with our value: a
    copy of a fact that others contradict is still a copy. Only candidates sharing a slot
    or an opposed word with the sentence are compared at all. The known facts named are
    those worded most like it, when some are (`SAME_VALUE_SLOT`).
    """
    ours_values = _values(reading.text)
    opposed = not OPPOSED.isdisjoint(reading.terms)
    if not ours_values and not opposed:
        return None
    ours_terms = _content(reading)
    found: dict[tuple[str, str, str], list[tuple[Known, bool]]] = {}
    agreed: set[str] = set()
    for known in candidates:
        theirs_values = _values(known.fact.text)
        slots = ours_values.keys() & theirs_values.keys() if theirs_values else ()
        opposable = opposed and not OPPOSED.isdisjoint(known.reading.terms)
        if not (slots or opposable) or known.reading.lang != reading.lang:
            continue
        if not same_actor(reading, known.reading):
            continue
        shared = min(_shares(ours_terms, _content(known.reading))) if slots else 0.0
        if shared >= SAME_TALLY_SLOT:
            for slot in slots:
                if (shared < SAME_VALUE_SLOT or slot in _MAGNITUDES) and not _same_claim(
                    slot, reading, known.reading
                ):
                    continue
                if _agree(slot, ours_values[slot], theirs_values[slot]):
                    agreed.add(slot)
                    continue
                ours = ", ".join(ours_values[slot].values())
                theirs = ", ".join(theirs_values[slot].values())
                strict = shared >= SAME_VALUE_SLOT
                found.setdefault((slot, ours, theirs), []).append((known, strict))
        if opposable and (opposite := _opposite(reading, known.reading)):
            found.setdefault(("yes/no", *opposite), []).append((known, True))
    found = {key: known for key, known in found.items() if key[0] not in agreed}
    if not found:
        return None
    (slot, ours, theirs), known = max(found.items(), key=lambda item: len(item[1]))
    closest = [k for k, strict in known if strict] or [k for k, _ in known]
    return Conflict(slot.split(":")[0], ours, theirs, tuple(closest))
