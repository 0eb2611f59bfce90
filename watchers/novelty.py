"""How much of one fact is already known: alignment with known facts and the known context.

- `align(reading, candidates)` covers the fact's rarity-weighted content terms greedily: the
  known fact stating most of them, then the one stating most of the rest, up to
  `MAX_ALIGNED` facts, each adding at least `MIN_GAIN` of the weight. It returns the aligned
  facts and the share of weight they cover.
- `Context` is everything a set of known stories states: their terms, numbers and dates
  (their publication dates included: "on Friday" in a copy repeats the known date), plus the
  facts aligned with the sentence at hand. It tells how much of a sentence it covers and
  which anchors it lacks. Proper names match fuzzily (`NAME_MATCH`), so a transliteration
  ("Pezeshkiyan", "Bezhkian") names the known person.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from rapidfuzz import fuzz, process

from watchers.evidence import Known, days_named
from watchers.words import Reading

MAX_ALIGNED = 4
MIN_GAIN = 0.1  # a further aligned fact must cover this share more of the weight
NAME_MATCH = 75  # rapidfuzz ratio at which two spellings name the same person or place
FUZZY_NAME = 5  # names shorter than this must match exactly


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


@dataclass
class Context:
    """What known stories state, and the facts aligned with the sentence being judged."""

    terms: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)  # "M-D" days the known facts name
    stories: dict[int, set[str]] = field(default_factory=dict)  # story id -> terms it states
    aligned: tuple[Known, ...] = ()
    spellings: dict[str, bool] = field(default_factory=dict)  # name -> spelled otherwise here

    @classmethod
    def of(cls, facts: Sequence[Known], nearby: Iterable[Known] = ()) -> Context:
        """The context of these facts; `nearby` facts only tell what their stories state."""
        context = cls()
        for known in nearby:
            context.stories.setdefault(known.fact.story_id, set()).update(known.reading.weights)
        for known in facts:
            context.stories.setdefault(known.fact.story_id, set()).update(known.reading.weights)
            context.terms.update(known.reading.weights)
            context.numbers.update(known.reading.numbers)
            context.dates.update(known.reading.dates)
            context.days.update(known.days)
            for anchor in known.date_anchors:
                (context.dates if anchor[0] in "mw" else context.numbers).add(anchor)
        return context

    def with_aligned(self, aligned: Sequence[Known]) -> Context:
        """The same context with these facts aligned to the sentence (sets are shared)."""
        return replace(self, aligned=tuple(aligned))

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

        With the story's publication date, a weekday is the day it resolves to ("on Monday"
        in a later story is another Monday), known only when a known fact names that day or
        an aligned fact was published on it."""
        day_numbers = {day.partition("-")[2] for day in reading.days}
        new = {n for n in reading.numbers - self.numbers - day_numbers if not self.states(n)}
        dates = reading.dates if published is None else {d for d in reading.dates if d[0] == "m"}
        new |= {
            d
            for d in dates - self.dates
            if not any(d in k.reading.dates for k in self.aligned)
        }
        if published is not None:
            new |= {
                day
                for day in days_named(reading, published) - self.days
                if not any(day in k.days or day == k.published_day for k in self.aligned)
            }
        if names:
            new |= {n for n in reading.names if not self._in_company(n)}
        return frozenset(new)

    def _in_company(self, name: str) -> bool:
        """Whether a story that states what the sentence says (the story of an aligned fact)
        names `name`, in this spelling or another: a known name in a known story's company
        is known, a known name said to do something no story of it tells is news."""
        vocabulary: set[str] = set()
        for story in {k.fact.story_id for k in self.aligned}:
            vocabulary |= self.stories.get(story, set())
        if name in vocabulary:
            return True
        if len(name) < FUZZY_NAME or not vocabulary:
            return False
        match = process.extractOne(name, vocabulary, scorer=fuzz.ratio, score_cutoff=NAME_MATCH)
        return match is not None

    def _spelled(self, name: str) -> bool:
        """Whether the context names `name` in another spelling (memoised per story)."""
        if len(name) < FUZZY_NAME or not self.terms:
            return False
        if name not in self.spellings:
            match = process.extractOne(name, self.terms, scorer=fuzz.ratio, score_cutoff=NAME_MATCH)
            self.spellings[name] = match is not None
        return self.spellings[name]
