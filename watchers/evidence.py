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

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from watchers.dedup import anchor_keys
from watchers.models import Knowledge, KnownFact, KnownStory
from watchers.words import Reading, read

CANDIDATES_PER_FACT = 60  # asked of the store; copies of one sentence count once
DISTINCT_PER_FACT = 20  # distinct sentences kept as candidates
NEAR_STORIES = 2  # the closest stories by wording (or by anchors) lend all their facts


class Known(NamedTuple):
    """A known fact as the engine reads it."""

    fact: KnownFact
    reading: Reading
    date_anchors: frozenset[str]  # day, year, month and weekday of its publication


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


def known(fact: KnownFact) -> Known:
    """A known fact, read (`read` is cached: the same fact is a candidate for many stories)."""
    return Known(fact, read(fact.text), date_anchors(fact.published))


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
    for story in knowledge.stories([s for s in missing if s not in evidence.stories]):
        evidence.stories[story.id] = story


def gather(
    readings: Sequence[Reading],
    keys: Sequence[Sequence[int]],
    wording: Sequence[int],
    knowledge: Knowledge,
) -> Evidence:
    """Candidates for every fact, the near stories' facts, and the dominant language."""
    evidence = Evidence(list(readings), [])
    for story, shared in knowledge.similar_stories(wording, limit=NEAR_STORIES):
        evidence.stories[story.id] = story
        evidence.wording[story.id] = shared
    load_stories(evidence, knowledge, evidence.wording)
    pool = evidence.facts_of(evidence.wording)
    for fact_keys in keys:
        similar = _distinct(f for f, _ in knowledge.similar_facts(fact_keys, CANDIDATES_PER_FACT))
        texts = {f.text for f in similar[:DISTINCT_PER_FACT]}
        evidence.candidates.append(
            _known(similar[:DISTINCT_PER_FACT]) + [k for k in pool if k.fact.text not in texts]
        )
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
