"""How much of one fact is already known: alignment with known facts and the known context.

- `align(reading, candidates)` covers the fact's rarity-weighted content terms greedily: the
  known fact stating most of them, then the one stating most of the rest, up to
  `MAX_ALIGNED` facts, each adding at least `MIN_GAIN` of the weight. It returns the aligned
  facts and the share of weight they cover.
- `same_actor(a, b)`: whether two sentences open with the same actor ("Russia's State Duma
  voted…", "Deputies in the State Duma…"), or one of them opens with no name at all.
- `Context` is everything a set of known stories states: their terms, numbers, dates and
  the days they name, plus the facts aligned with the sentence at hand. It tells how much
  of a sentence it covers and which anchors it lacks:
  - a number that neither the context nor a known sentence like it (a candidate) states, a
    month the context does not state, or a named day ("30 September") no known fact names;
  - a weekday that resolves (by the story's publication date) to a day no known fact names
    and no aligned fact was published on — unless an aligned fact that restates the
    sentence (`RESTATED`, same actor) names that weekday: "on Friday" in a late reprint of
    a wire story is still the wire's Friday;
  - a proper name that no story stating the sentence's content names, nor the story it
    retells (the company rule): a known name said to do something its known stories never
    tell is news. Names match
    fuzzily (`NAME_MATCH`), so a transliteration ("Pezeshkiyan", "Bezhkian") names the
    known person.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from rapidfuzz import fuzz, process

from watchers.engine.candidates import Known, weekday_day, weekdays
from watchers.engine.lexicon import ENGLISH_WEEKDAYS
from watchers.engine.readings import Reading

_REPORTED_TODAY = re.compile(
    r"\b(?:said|says|told(?:\s+\w+){0,3}|announced|reported|added|stated|noted|confirmed|"
    rf"declared|wrote)\s+(?:on\s+)?(?:{'|'.join(ENGLISH_WEEKDAYS)})\b",
    re.I,
)  # a weekday that dates the report, not the news
MAX_ALIGNED = 4
MIN_GAIN = 0.1  # a further aligned fact must cover this share more of the weight
NAME_MATCH = 75  # rapidfuzz ratio at which two spellings name the same person or place
FUZZY_NAME = 5  # names shorter than this must match exactly
RESTATED = 0.9  # an aligned fact stating this share of a sentence (same actor) restates it


def align(reading: Reading, candidates: Sequence[Known]) -> tuple[tuple[Known, ...], float]:
    """The known facts that together state most of the sentence, and the share they state."""
    total = reading.total
    if not total or not candidates:
        return (), 0.0
    weight = reading.weights.__getitem__
    left = set(reading.weights)

    def gain(known: Known) -> float:
        return sum(map(weight, left.intersection(known.reading.weights)))

    ranked = heapq.nlargest(MAX_ALIGNED * 3, candidates, key=gain)
    aligned: list[Known] = []
    while ranked and len(aligned) < MAX_ALIGNED:
        best = max(ranked, key=gain)
        if gain(best) < MIN_GAIN * total:
            break
        aligned.append(best)
        left.difference_update(best.reading.weights)
        ranked.remove(best)
    return tuple(aligned), 1 - sum(map(weight, left)) / total


def _same_name(ours: str, theirs: str) -> bool:
    """Two name terms of one actor: equal, one the other's demonym (Iran, Iranian) or another
    spelling of it."""
    if ours == theirs:
        return True
    if min(len(ours), len(theirs)) >= 4 and (ours.startswith(theirs) or theirs.startswith(ours)):
        return True
    return fuzz.ratio(ours, theirs) >= NAME_MATCH


def same_actor(ours: Reading, theirs: Reading) -> bool:
    """Whether the two sentences open with the same actor (or one of them names none)."""
    if not ours.actor or not theirs.actor:
        return True
    return any(_same_name(a, b) for a in ours.actor for b in theirs.opening) or any(
        _same_name(a, b) for a in theirs.actor for b in ours.opening
    )


def _stated(reading: Reading, known: Known) -> float:
    """The share of the sentence's content weight this known fact states."""
    weights = known.reading.weights
    return sum(w for t, w in reading.weights.items() if t in weights) / (reading.total or 1.0)


@dataclass
class Context:
    """What known stories state, and the facts aligned with the sentence being judged."""

    terms: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)  # "M-D" days the known facts name
    stories: dict[int, set[str]] = field(default_factory=dict)  # story id -> terms it states
    retold: frozenset[int] = frozenset()  # the stories the story retells: their names count
    aligned: tuple[Known, ...] = ()
    similar: tuple[Known, ...] = ()  # the known sentences most like it (its candidates)

    @classmethod
    def of(
        cls, facts: Sequence[Known], nearby: Iterable[Known] = (), retold: Iterable[int] = ()
    ) -> Context:
        """The context of these facts; `nearby` facts (those of the stories aligned facts come
        from) only tell what their stories state; the names of the `retold` stories (those
        sharing the story's wording) count for every sentence."""
        context = cls(retold=frozenset(retold))
        for known in {k.fact.id: k for k in (*facts, *nearby)}.values():
            context.stories.setdefault(known.fact.story_id, set()).update(known.reading.weights)
        for known in facts:
            context.terms.update(known.reading.weights)
            context.numbers.update(known.reading.numbers)
            context.dates.update(known.reading.dates)
            context.days.update(known.days)
            for anchor in known.date_anchors:
                (context.dates if anchor[0] in "mw" else context.numbers).add(anchor)
        return context

    def with_aligned(self, aligned: Sequence[Known], similar: Sequence[Known] = ()) -> Context:
        """The same context with the facts aligned to the sentence and the known sentences
        most like it (the context's own sets are shared)."""
        return replace(self, aligned=tuple(aligned), similar=tuple(similar))

    def states(self, term: str) -> bool:
        return term in self.terms or any(term in k.reading.weights for k in self.aligned)

    def coverage(self, reading: Reading) -> float:
        """The share of the sentence's content weight stated here."""
        total = reading.total
        return (
            sum(w for t, w in reading.weights.items() if self.states(t)) / total if total else 1.0
        )

    def new_anchors(
        self, reading: Reading, names: bool, published: datetime | None = None
    ) -> frozenset[str]:
        """The sentence's numbers and dates (and names, if asked) that are not stated here.

        With the story's publication date, days are compared as days ("M-D"): named ones as
        written, weekdays resolved by `evidence.weekday_day`."""
        day_numbers = {day.partition("-")[2] for day in reading.days}
        new = {
            n
            for n in reading.numbers - self.numbers - day_numbers
            if not self.states(n) and not any(n in k.reading.numbers for k in self.similar)
        }
        dates = reading.dates if published is None else {d for d in reading.dates if d[0] == "m"}
        new |= {
            d for d in dates - self.dates if not any(d in k.reading.dates for k in self.aligned)
        }
        new |= {day for day in reading.days if not self._names_day(day)}
        if published is not None and not reading.days:  # "Friday, January 17" names a day
            today = f"{published.month}-{published.day}"
            for weekday in weekdays(reading.dates):
                day = weekday_day(weekday, published)
                if day == today and _REPORTED_TODAY.search(reading.text):
                    continue  # "the Kremlin said on Monday", in Monday's story: no news in that
                if not self._names_day(day) and not self._restated(reading, f"w{weekday}"):
                    new.add(day)
        if names and reading.names:
            company = self._company(reading)
            new |= {n for n in reading.names if not _names(company, n)}
        return frozenset(new)

    def names_anywhere(self, name: str) -> bool:
        """Whether any known story near the sentence names this (in any spelling)."""
        return _names([self.terms, *self.stories.values()], name)

    def _restated(self, reading: Reading, weekday: str) -> bool:
        """Whether an aligned fact that restates the sentence names this weekday too."""
        return any(
            weekday in k.reading.dates
            and _stated(reading, k) >= RESTATED
            and same_actor(reading, k.reading)
            for k in self.aligned
        )

    def _names_day(self, day: str) -> bool:
        """Whether a known fact names this day or an aligned fact was published on it."""
        return day in self.days or any(
            day in k.days or day == k.published_day for k in self.aligned
        )

    def _company(self, reading: Reading) -> list[set[str]]:
        """What the stories stating the sentence's content (apart from its names) state: the
        stories of the aligned facts that state at least `MIN_GAIN` of it by other words,
        and the stories the whole story retells."""
        stories = set(self.retold)
        for known in self.aligned:
            weights = known.reading.weights
            said = sum(
                w for t, w in reading.weights.items() if t in weights and t not in reading.names
            )
            if said >= MIN_GAIN * reading.total:
                stories.add(known.fact.story_id)
        return [self.stories[story] for story in stories if story in self.stories]


def _names(vocabularies: list[set[str]], name: str) -> bool:
    """Whether one of the vocabularies holds the name: in this spelling, another one, or as
    the place of its demonym (Iran for Iranian)."""
    if any(name in vocabulary for vocabulary in vocabularies):
        return True
    if len(name) < FUZZY_NAME or not vocabularies:
        return False
    vocabulary = set().union(*vocabularies)
    if any(len(t) >= FUZZY_NAME - 1 and name.startswith(t) for t in vocabulary):
        return True
    return (
        process.extractOne(name, vocabulary, scorer=fuzz.ratio, score_cutoff=NAME_MATCH) is not None
    )
