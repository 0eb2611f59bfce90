"""A story's facts, their lookup keys, and whether each is new against what is known.

A fact is one sentence of the story body (`text.sentences`: page chrome and headings left
out; the title only when the body is empty). `fact_records` and `story_keys` give what the
store keeps to find similar facts and stories later.

`assess` decides each fact's novelty. Its known facts are aligned greedily: the known fact
covering most of its rarity-weighted content terms, then the one covering most of the rest,
up to `MAX_ALIGNED`. The known context is every fact of the stories those aligned facts come
from, and of the stories sharing the story's wording. A fact is new when
- it carries an anchor the context lacks: a number, a date, or a proper name (names match
  fuzzily, so "Pezeshkiyan" is "Pezeshkian"), or
- less than `MOSTLY` of its content weight is covered by its aligned facts and the context, or
- it contradicts an aligned fact (see `conflicts`).
A fact in another language than the nearby knowledge cannot be compared word by word: it is
new only when it brings a number or date that the stories sharing its anchors lack.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from watchers.conflicts import Conflict, find_conflict
from watchers.dedup import anchor_keys, fact_keys, wording_keys
from watchers.evidence import Evidence, Known, gather, load_stories
from watchers.models import FactRecord, Knowledge, Story
from watchers.text import clauses, sentences
from watchers.words import Reading, read

MOSTLY = 0.5  # a fact is known when at least this share of its content weight is known
ALIGNED = 0.5  # a known fact covering this share of a fact is aligned with it
MAX_ALIGNED = 4
MIN_GAIN = 0.1  # a further aligned fact must cover this share more
NAME_MATCH = 75  # rapidfuzz ratio at which two spellings name the same person or place
WORDING_NEAR = 3  # wording keys a story must share to count as the same telling


@dataclass(frozen=True)
class Finding:
    """What the engine found about one fact of the story."""

    text: str
    reading: Reading
    keys: tuple[int, ...]
    is_new: bool
    aligned: tuple[Known, ...]  # known facts saying the most of it, best first
    coverage: float  # share of its content weight the aligned facts state
    context_coverage: float  # share stated anywhere in the known context
    new_anchors: frozenset[str]
    conflict: Conflict | None


def story_sentences(story: Story) -> list[str]:
    """The sentences that are the story's facts."""
    return sentences(story.text) or sentences(story.title)


def fact_records(story: Story) -> tuple[FactRecord, ...]:
    """Every fact of the story with its lookup keys, all marked new (seeds, recording)."""
    return tuple(FactRecord(s, fact_keys(read(s)), True) for s in story_sentences(story))


def story_keys(story: Story) -> tuple[int, ...]:
    """The story's near-duplicate keys: its wording sketch and its anchor keys."""
    readings = [read(s) for s in story_sentences(story)]
    return wording_keys(readings) + anchor_keys(readings)


def _query_keys(text: str, keys: tuple[int, ...]) -> tuple[int, ...]:
    """The fact's keys plus its clauses' keys: a long sentence finds what each part retells."""
    parts = clauses(text)
    if len(parts) < 2:
        return keys
    return tuple({*keys, *(k for part in parts for k in fact_keys(read(part)))})


def _align(reading: Reading, candidates: Sequence[Known]) -> tuple[tuple[Known, ...], float]:
    """Greedy cover of the fact's weighted terms by at most MAX_ALIGNED known facts."""
    total = reading.total
    if not total or not candidates:
        return (), 0.0
    weights = reading.weights
    weight = weights.__getitem__

    def gain(known: Known, left: set[str]) -> float:
        return sum(map(weight, left.intersection(known.reading.weights)))

    left = set(weights)
    ranked = heapq.nlargest(MAX_ALIGNED * 3, candidates, key=lambda k: gain(k, left))
    aligned: list[Known] = []
    while ranked and len(aligned) < MAX_ALIGNED:
        best = max(ranked, key=lambda k: gain(k, left))
        if gain(best, left) < MIN_GAIN * total:
            break
        aligned.append(best)
        left.difference_update(best.reading.weights)
        ranked.remove(best)
    return tuple(aligned), 1 - sum(map(weight, left)) / total


@dataclass
class _Context:
    """Everything the known context states: terms, numbers, dates (and the aligned facts)."""

    terms: set[str]
    numbers: set[str]
    dates: set[str]
    aligned: tuple[Reading, ...] = ()
    spellings: dict[str, bool] = field(default_factory=dict)  # name -> named in context

    @classmethod
    def of(cls, facts: Sequence[Known]) -> _Context:
        context = cls(set(), set(), set())
        for known in facts:
            context.terms.update(known.reading.weights)
            context.numbers.update(known.reading.numbers)
            context.dates.update(known.reading.dates)
            for anchor in known.date_anchors:
                (context.dates if anchor[0] in "mw" else context.numbers).add(anchor)
        return context

    def states(self, term: str) -> bool:
        return term in self.terms or any(term in r.weights for r in self.aligned)

    def coverage(self, reading: Reading) -> float:
        total = reading.total
        known = sum(w for t, w in reading.weights.items() if self.states(t))
        return known / total if total else 1.0

    def new_anchors(self, reading: Reading, names: bool) -> frozenset[str]:
        numbers = {n for n in reading.numbers - self.numbers if not self.states(n)}
        dates = {d for d in reading.dates - self.dates if not any(d in r.dates for r in self.aligned)}
        new = numbers | dates
        if names:
            new |= {n for n in reading.names if not self.states(n) and not self._spelled(n)}
        return frozenset(new)

    def _spelled(self, name: str) -> bool:
        """Whether the context names `name` in another spelling."""
        if len(name) < 5 or not self.terms:
            return False
        if name not in self.spellings:
            match = process.extractOne(name, self.terms, scorer=fuzz.ratio, score_cutoff=NAME_MATCH)
            self.spellings[name] = match is not None
        return self.spellings[name]


def _known_stories(evidence: Evidence, aligned: Sequence[tuple[tuple[Known, ...], float]]) -> set[int]:
    ids = {sid for sid, shared in evidence.wording.items() if shared >= WORDING_NEAR}
    for facts, coverage in aligned:
        if facts and coverage >= ALIGNED:
            ids.update(k.fact.story_id for k in facts)
    return ids


@dataclass(frozen=True)
class Assessment:
    """Every fact of a story with its novelty, the evidence, and the story's keys."""

    findings: list[Finding]
    evidence: Evidence
    wording: tuple[int, ...]
    anchors: tuple[int, ...]

    @property
    def wording_overlap(self) -> float:
        """The largest share of the story's wording sketch that one known story shares."""
        return max(self.evidence.wording.values(), default=0) / max(len(self.wording), 1)


def assess(story: Story, knowledge: Knowledge) -> Assessment:
    """Judge each fact of the story against the knowledge."""
    texts = story_sentences(story)
    readings = [read(t) for t in texts]
    keys = [fact_keys(r) for r in readings]
    wording = wording_keys(readings)
    evidence = gather(readings, [_query_keys(t, k) for t, k in zip(texts, keys, strict=True)], wording, knowledge)
    native = [r.lang == evidence.language for r in readings]
    alignments = [
        _align(r, [k for k in candidates if k.reading.lang == r.lang])
        for r, candidates in zip(readings, evidence.candidates, strict=True)
    ]
    story_ids = _known_stories(evidence, alignments) | set(evidence.anchors)
    load_stories(evidence, knowledge, story_ids)
    context_facts = evidence.facts_of(story_ids)
    base = _Context.of(context_facts)
    findings = []
    for i, reading in enumerate(readings):
        aligned, coverage = alignments[i]
        context = _Context(
            base.terms, base.numbers, base.dates, tuple(k.reading for k in aligned), base.spellings
        )
        anchors = context.new_anchors(reading, names=native[i])
        conflict = find_conflict(reading, aligned)
        context_coverage = max(coverage, context.coverage(reading))
        if native[i]:
            is_new = bool(anchors) or context_coverage < MOSTLY or conflict is not None
        else:
            is_new = coverage < MOSTLY and (bool(anchors) or not context_facts)
        findings.append(
            Finding(texts[i], reading, keys[i], is_new, aligned, coverage, context_coverage,
                    anchors, conflict)
        )  # fmt: skip
    return Assessment(findings, evidence, wording, anchor_keys(readings))
