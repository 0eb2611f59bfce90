"""What is known near a story: the evidence its facts are compared with.

`gather` asks the `Knowledge` (the store) a handful of questions per story — never a scan:
the stories sharing its wording keys, the facts sharing each fact's keys, every fact of the
closest stories, and (only for facts in a language the nearby knowledge is not written in)
the stories sharing its language-neutral anchors. The store may hold the same sentence from
many outlets: each fact asks for `CANDIDATES_PER_FACT` and keeps `DISTINCT_PER_FACT` distinct
texts (the first copy: most similar, then oldest). Known facts come back already read
(`words.read` is cached, so a known sentence is tokenised once per process) with the anchors
of their publication date, since "on Friday" in a copy repeats the known date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from watchers.dedup import anchor_keys, fact_keys, part_keys
from watchers.models import Knowledge, KnownFact, KnownStory
from watchers.words import Reading, read

CANDIDATES_PER_FACT = 60  # asked of the store; copies of one sentence count once
DISTINCT_PER_FACT = 20  # distinct sentences kept as candidates
DISTINCT_PER_PART = 5  # and for each part of a long sentence, the sentences closest to it
NEAR_STORIES = 2  # the closest stories by wording (or by anchors) lend all their facts
TOMORROW = 1  # "on Saturday" in a story of Friday is tomorrow; any other weekday is past


class Known(NamedTuple):
    """A known fact as the engine reads it."""

    fact: KnownFact
    reading: Reading
    keys: tuple[int, ...]  # its lookup keys (`dedup.fact_keys`)
    date_anchors: frozenset[str]  # day, year, month and weekday of its publication
    days: frozenset[str]  # the days it names ("M-D"), weekdays resolved by its publication
    published_day: str | None  # "M-D" of its publication


@dataclass
class Evidence:
    """Known facts and stories near the story being judged."""

    readings: list[Reading]
    candidates: list[list[Known]]  # per fact: facts sharing its keys, then the near stories'
    stories: dict[int, KnownStory] = field(default_factory=dict)
    wording: dict[int, int] = field(default_factory=dict)  # story id -> wording keys shared
    anchors: dict[int, int] = field(default_factory=dict)  # story id -> anchor keys shared
    by_story: dict[int, list[Known]] = field(default_factory=dict)
    language: str = "en"  # the language most nearby knowledge is written in

    def facts_of(self, story_ids: Iterable[int]) -> list[Known]:
        """The loaded facts of these stories."""
        return [k for sid in story_ids for k in self.by_story.get(sid, ())]


@lru_cache(maxsize=10_000)
def date_anchors(published: datetime | None) -> frozenset[str]:
    """Day, year, month ("m1") and weekday ("w5") of a publication time."""
    if published is None:
        return frozenset()
    day = published.date()
    return frozenset({str(day.day), str(day.year), f"m{day.month}", f"w{day.isoweekday()}"})


def day_of(moment: date | None) -> str | None:
    """The "M-D" day of a moment (None when unknown)."""
    return f"{moment.month}-{moment.day}" if moment is not None else None


def days_named(reading: Reading, published: datetime | None) -> frozenset[str]:
    """The days ("M-D") a sentence names: day-month dates as written, and weekdays resolved
    against the publication date ("on Monday" in a story of Wednesday 21 May is 19 May)."""
    if published is None or not any(d[0] == "w" for d in reading.dates):
        return reading.days
    days = set(reading.days)
    today = published.date()
    for weekday in (int(d[1:]) for d in reading.dates if d[0] == "w"):
        ahead = (weekday - today.isoweekday()) % 7
        days.add(day_of(today + timedelta(days=ahead if ahead <= TOMORROW else ahead - 7)))
    return frozenset(days)


@lru_cache(maxsize=50_000)
def known(fact: KnownFact) -> Known:
    """A known fact as the engine reads it, analysed once per process (a bounded LRU keyed by
    the fact itself: the same fact is a candidate for many stories)."""
    reading = read(fact.text)
    return Known(
        fact, reading, fact_keys(reading), date_anchors(fact.published),
        days_named(reading, fact.published), day_of(fact.published),
    )  # fmt: skip


def _distinct(facts: Iterable[KnownFact]) -> list[KnownFact]:
    """The facts with one copy of each text (the first: most similar, then oldest)."""
    seen: dict[str, KnownFact] = {}
    for fact in facts:
        seen.setdefault(fact.text, fact)
    return list(seen.values())


def _known(facts: Iterable[KnownFact]) -> list[Known]:
    return list(map(known, facts))


def load_stories(evidence: Evidence, knowledge: Knowledge, story_ids: Iterable[int]) -> None:
    """Make sure these stories and all their facts are in the evidence (one query each)."""
    missing = sorted({sid for sid in story_ids if sid not in evidence.by_story})
    if not missing:
        return
    for sid in missing:
        evidence.by_story[sid] = []
    for fact in _known(knowledge.facts_of(missing)):
        evidence.by_story[fact.fact.story_id].append(fact)
    unseen = [s for s in missing if s not in evidence.stories]
    for story in knowledge.stories(unseen) if unseen else ():
        evidence.stories[story.id] = story


def lookups(reading: Reading) -> tuple[tuple[int, ...], ...]:
    """The key sets a sentence is looked up by: its own, then those of its parts."""
    return tuple(keys for keys in (fact_keys(reading), *part_keys(reading)) if keys)


def _similar(
    lookup: Sequence[Sequence[Sequence[int]]], knowledge: Knowledge
) -> list[list[Known]]:
    """Per sentence, the `DISTINCT_PER_FACT` known sentences sharing most keys with it or
    with one of its parts — from one question to the store for the whole story."""
    asked = sorted({key for units in lookup for keys in units for key in keys})
    if not asked:
        return [[] for _ in lookup]
    found = _known(
        _distinct(f for f, _ in knowledge.similar_facts(asked, CANDIDATES_PER_FACT * len(lookup)))
    )
    holders: dict[int, list[int]] = defaultdict(list)
    for position, candidate in enumerate(found):
        for key in set(candidate.keys):
            holders[key].append(position)
    similar = []
    for units in lookup:
        chosen: dict[int, None] = {}
        for number, keys in enumerate(units):
            shared = Counter(p for k in set(keys) for p in holders[k] if p not in chosen)
            wanted = DISTINCT_PER_PART if number else DISTINCT_PER_FACT
            chosen.update(dict.fromkeys(sorted(shared, key=lambda p: (-shared[p], p))[:wanted]))
        similar.append([found[p] for p in chosen])
    return similar


def gather(readings: Sequence[Reading], wording: Sequence[int], knowledge: Knowledge) -> Evidence:
    """Candidates for every fact, the near stories' facts, and the dominant language."""
    evidence = Evidence(list(readings), [])
    for story, shared in knowledge.similar_stories(wording, limit=NEAR_STORIES):
        evidence.stories[story.id] = story
        evidence.wording[story.id] = shared
    load_stories(evidence, knowledge, evidence.wording)
    pool = evidence.facts_of(evidence.wording)
    for similar in _similar([lookups(r) for r in readings], knowledge):
        texts = {k.fact.text for k in similar}
        evidence.candidates.append(similar + [k for k in pool if k.fact.text not in texts])
    distinct = {k.fact.id: k for group in evidence.candidates for k in group}
    languages = Counter(k.reading.lang for k in distinct.values())
    if languages:
        evidence.language = languages.most_common(1)[0][0]
    if any(r.lang != evidence.language for r in readings):
        _add_anchor_stories(evidence, knowledge)
    return evidence


def _add_anchor_stories(evidence: Evidence, knowledge: Knowledge) -> None:
    """Stories sharing the story's numbers and dates: the only bridge across languages."""
    near = knowledge.similar_stories(anchor_keys(evidence.readings), limit=NEAR_STORIES)
    for story, shared in near:
        evidence.stories.setdefault(story.id, story)
        evidence.anchors[story.id] = shared
    load_stories(evidence, knowledge, evidence.anchors)
