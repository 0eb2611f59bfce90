"""What is known near a story: the evidence its facts are compared with.

`gather` asks the `Knowledge` (the store) a handful of questions per story — never a scan:
the stories sharing its wording keys, every fact of the closest stories, the facts sharing
each fact's keys (one question per fact; a long fact with a word of `OPPOSITES` asks with
its parts' keys too, `dedup.part_keys`), and (only for facts in a language the nearby
knowledge is not written in) the stories sharing its language-neutral anchors. A fact keeps
the `DISTINCT_PER_FACT` distinct texts sharing most of its keys and `DISTINCT_PER_PART` more
for each part (the first copy of a text: most similar, then oldest); the store may hold the
same sentence from many outlets, so each question asks for `CANDIDATES_PER_FACT` rows. Once
the facts are aligned, `facts_of_stories` fetches what the stories they come from state (one
more question), so a name can be checked against its company (`novelty`).

Known facts come back analysed (`known`): read, keyed, and with the days they name — a
weekday resolved against their publication date (`weekday_day`) — and the day they were
published, since "on Friday" in a copy repeats the known date. The analysis depends only on
a fact's text and publication time and is kept in a bounded LRU, so a known sentence is
worked out once per process however many stories it is a candidate for.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

from watchers.engine.keys import anchor_keys, fact_keys, part_keys
from watchers.engine.lexicon import OPPOSED
from watchers.engine.readings import Reading, read
from watchers.models import Knowledge, KnownFact, KnownStory

CANDIDATES_PER_FACT = 40  # rows asked of the store per fact; copies of one sentence count once
DISTINCT_PER_FACT = 20  # distinct sentences kept as candidates
DISTINCT_PER_PART = 5  # and for each part of a long sentence, the sentences closest to it
NEAR_STORIES = 2  # the closest stories by wording (or by anchors) lend all their facts
TOMORROW = 1  # "on Saturday" in a story of Friday is tomorrow; any other weekday is past


class Known(NamedTuple):
    """A known fact as the engine reads it."""

    fact: KnownFact
    reading: Reading
    keys: tuple[int, ...]  # its lookup keys (`dedup.fact_keys`)
    date_anchors: frozenset[str]  # year, month and weekday of its publication
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
    """Year, month ("m1") and weekday ("w5") of a publication time (its day is `day_of`)."""
    if published is None:
        return frozenset()
    day = published.date()
    return frozenset({str(day.year), f"m{day.month}", f"w{day.isoweekday()}"})


def day_of(moment: date | None) -> str | None:
    """The "M-D" day of a moment (None when unknown)."""
    return f"{moment.month}-{moment.day}" if moment is not None else None


def weekdays(dates: Iterable[str]) -> list[int]:
    """The ISO weekdays (1 = Monday) among a reading's dates."""
    return [int(d[1:]) for d in dates if d[0] == "w"]


def weekday_day(weekday: int, published: datetime) -> str:
    """The day ("M-D") a weekday names in a story published at `published`: the last such
    day up to publication, or tomorrow ("on Monday" in a story of Wednesday 21 May is 19 May;
    "on Thursday" is 22 May)."""
    today = published.date()
    ahead = (weekday - today.isoweekday()) % 7
    day = today + timedelta(days=ahead if ahead <= TOMORROW else ahead - 7)
    return f"{day.month}-{day.day}"


def days_named(reading: Reading, published: datetime | None) -> frozenset[str]:
    """The days ("M-D") a sentence names: day-month dates as written, and weekdays resolved
    against its publication date (`weekday_day`)."""
    if published is None:
        return reading.days
    return reading.days | {weekday_day(w, published) for w in weekdays(reading.dates)}


def known(fact: KnownFact) -> Known:
    """A known fact as the engine reads it (its analysis is cached: `_analysis`)."""
    return Known(fact, *_analysis(fact.text, fact.published))


@lru_cache(maxsize=50_000)
def _analysis(
    text: str, published: datetime | None
) -> tuple[Reading, tuple[int, ...], frozenset[str], frozenset[str], str | None]:
    """What a known sentence published then says, worked out once per process (a bounded LRU:
    the same fact is a candidate for many stories)."""
    reading = read(text)
    return (
        reading, fact_keys(reading), date_anchors(published), days_named(reading, published),
        day_of(published),
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


def facts_of_stories(
    evidence: Evidence, knowledge: Knowledge, story_ids: Iterable[int]
) -> list[Known]:
    """Every fact of these stories: those loaded already, the others in one question (their
    stories are not added to the evidence: they only tell what those stories state)."""
    wanted = set(story_ids)
    missing = sorted(wanted - evidence.by_story.keys())
    return evidence.facts_of(wanted & evidence.by_story.keys()) + _known(
        knowledge.facts_of(missing) if missing else ()
    )


def lookups(reading: Reading, keys: Sequence[int]) -> tuple[Sequence[int], ...]:
    """The key sets a sentence is looked up by: its own `keys`, then — when it has a word of
    `OPPOSITES`, whose contradiction no number shows ("by mutual consent" against "renewed
    automatically") — its parts', so the known fact stating just that part is found too."""
    parts = part_keys(reading) if not OPPOSED.isdisjoint(reading.terms) else ()
    return tuple(unit for unit in (keys, *parts) if unit)


def _similar(units: Sequence[Sequence[int]], knowledge: Knowledge) -> list[Known]:
    """The known sentences closest to one sentence: the `DISTINCT_PER_FACT` sharing most of
    its keys, then `DISTINCT_PER_PART` more for each of its parts — from one question to the
    store for the sentence and its parts. Only as many distinct texts as it may keep are
    analysed, in the store's order (most keys shared first)."""
    asked = {key for keys in units for key in keys}
    if not asked:
        return []
    rows = knowledge.similar_facts(sorted(asked), CANDIDATES_PER_FACT * len(units))
    room = DISTINCT_PER_FACT + DISTINCT_PER_PART * (len(units) - 1)
    found = _known(_distinct(f for f, _ in rows)[:room])
    if len(units) == 1:
        return found
    holders: dict[int, list[int]] = defaultdict(list)
    for position, candidate in enumerate(found):
        for key in asked.intersection(candidate.keys):
            holders[key].append(position)
    chosen: dict[int, None] = {}
    for number, unit in enumerate(units):
        shared = Counter(chain.from_iterable(holders[k] for k in set(unit) if k in holders))
        ranked = sorted(sorted(shared.keys() - chosen.keys()), key=shared.__getitem__, reverse=True)
        chosen.update(dict.fromkeys(ranked[: DISTINCT_PER_PART if number else DISTINCT_PER_FACT]))
    return [found[p] for p in chosen]


def gather(
    readings: Sequence[Reading],
    keys: Sequence[Sequence[int]],
    wording: Sequence[int],
    knowledge: Knowledge,
) -> Evidence:
    """Candidates for every fact (`keys`: its `dedup.fact_keys`), the near stories' facts,
    and the dominant language."""
    evidence = Evidence(list(readings), [])
    for story, shared in knowledge.similar_stories(wording, limit=NEAR_STORIES):
        evidence.stories[story.id] = story
        evidence.wording[story.id] = shared
    load_stories(evidence, knowledge, evidence.wording)
    pool = evidence.facts_of(evidence.wording)
    for reading, sentence_keys in zip(readings, keys, strict=True):
        similar = _similar(lookups(reading, sentence_keys), knowledge)
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
