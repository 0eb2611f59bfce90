"""A story's facts, their lookup keys, and whether each is new against what is known.

A fact is one sentence of the story body (`text.sentences`: page chrome and headings left
out; the title only when the body is empty). `fact_records` and `story_keys` give what the
store keeps to find similar facts and stories later.

`assess` decides each fact's novelty. The fact is aligned with the known facts that state
most of it (`novelty.align`); the known context is every fact of the stories those aligned
facts come from and of the stories sharing the story's wording. A fact is new when
- it carries an anchor the context lacks (`novelty.Context.new_anchors`): a number, a day
  (weekdays resolved by the story's publication date: "on Monday" in April is not the
  Monday of January), or a proper name no story stating its content names, or
- less than `MOSTLY` of its rarity-weighted content is stated by its aligned facts and the
  context, or
- it contradicts a known fact near it, about the same actor (`conflicts`).
A fact in another language than the nearby knowledge cannot be compared word by word: it is
new only when it brings a number or date that the stories sharing its anchors lack (or when
nothing at all is known near it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from watchers.engine.alignment import Context, align
from watchers.engine.candidates import (
    Evidence,
    Known,
    days_named,
    facts_of_stories,
    gather,
    load_stories,
)
from watchers.engine.conflicts import Conflict, find_conflict
from watchers.engine.keys import anchor_keys, fact_keys, wording_keys
from watchers.engine.meaning import Meaning
from watchers.engine.readings import Reading, guess_language, read, zipf
from watchers.engine.text import headline, sentences
from watchers.models import FactRecord, Knowledge, Story

_DAY_ANCHOR = re.compile(r"\d{1,2}-\d{1,2}")  # a day as anchors name it: "6-23"
MOSTLY = 0.5  # a fact is known when at least this share of its content weight is known
ALIGNED = 0.5  # aligned facts stating this share of a fact make their stories its context
WORDING_NEAR = 3  # wording keys a known story must share to be part of the context
KNOWN_MEANING = 0.80  # cosine similarity at which a sentence restates a known one
NEAR_MEANING = 0.70  # …or this close, when its words are
NEAR_WORDS = 0.35  # …this much stated by the known context
NAME_MEANING = 0.85  # a sentence whose only new anchors are names: this close
NAME_WORDS = 0.6  # …and this much stated by the known context
FOREIGN_NAME_ZIPF = 3.0  # a name in another language this rare is news (a person, not a place)
RESTATED_WORDS = 0.6  # aligned known facts stating this share of a fact restate it
LEAD_WORDS = 0.75  # a lead this much stated by aligned known facts tells a known event
LEAD_SOME_WORDS = 0.6  # …or this much, and this close in meaning:
LEAD_MEANING = 0.65


@dataclass(frozen=True)
class Finding:
    """What the engine found about one fact of the story."""

    text: str
    reading: Reading
    keys: tuple[int, ...]
    is_new: bool
    aligned: tuple[Known, ...]  # known facts stating the most of it, best first
    coverage: float  # share of its content weight the aligned facts state
    context_coverage: float  # share stated by the aligned facts or the known context
    new_anchors: frozenset[str]
    conflict: Conflict | None
    native: bool  # written in the language of the knowledge near it
    meaning: float = 0.0  # cosine similarity with the closest known fact (the lead only)
    known_day: bool = False  # names a day a known fact names (the lead only)
    by_meaning: bool = False  # known because a known fact says it in other words

    @property
    def restated(self) -> bool:
        """Whether a known fact says this again: closely by words (`RESTATED_WORDS`), or in
        other words by meaning — not merely words that stories near it happen to hold."""
        return not self.is_new and (self.coverage >= RESTATED_WORDS or self.by_meaning)

    @property
    def known_event(self) -> bool:
        """Whether this sentence, a story's lead, tells an event already known: its words are
        known (it may add a number or contradict a value), and it restates known facts closely
        by words or by meaning, or it names a day known facts name. A different event that
        shares actors, places and the treaty is worded alike only in part (`LEAD_WORDS`,
        `LEAD_MEANING`)."""
        if not self.native:  # words cannot tell across languages; the day and anchors can
            return self.known_day or not self.is_new
        if self.is_new and self.conflict is None and self.context_coverage < MOSTLY:
            return False  # new by its words, not only by a number or a name it adds
        if any(_DAY_ANCHOR.fullmatch(anchor) for anchor in self.new_anchors):
            return False  # on another day: another occasion, however alike the words
        return (
            self.known_day
            or self.coverage >= LEAD_WORDS
            or self.meaning >= KNOWN_MEANING
            or (self.coverage >= LEAD_SOME_WORDS and self.meaning >= LEAD_MEANING)
        )


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


def story_sentences(story: Story) -> list[str]:
    """The sentences that are the story's facts: its body's, or — for an item that has no
    body of its own (a news-search feed's headline and outlet) — its title."""
    return sentences(story.text, story.title) or headline(story.title)


def fact_records(story: Story) -> tuple[FactRecord, ...]:
    """Every fact of the story with its lookup keys, all marked new (seeds, recording)."""
    texts = story_sentences(story)
    return tuple(
        FactRecord(s, fact_keys(r), True) for s, r in zip(texts, readings(texts), strict=True)
    )


def _first_copies(known: Sequence[Known]) -> list[Known]:
    """Each known sentence once: its first copy (syndicated stories repeat sentences)."""
    first: dict[str, Known] = {}
    for k in known:
        first.setdefault(k.fact.text, k)
    return list(first.values())


def _foreign_name(name: str, reading: Reading, context: Context) -> bool:
    """Whether a name in a sentence in another language is news: written in Latin letters
    (other scripts would need transliterating), rare in its language (a person, "Dedov", not
    a place's exonym, "Moskva"), and named by no known story near it in any spelling."""
    if not name.isascii() or context.names_anywhere(name):
        return False
    words = re.findall(rf"\b{re.escape(name)}\w*", reading.text, re.I)
    return all(zipf(w.lower(), reading.lang) < FOREIGN_NAME_ZIPF for w in words[:1] or [name])


def readings(texts: Sequence[str]) -> list[Reading]:
    """The story's sentences read, each in its own language or, where a sentence alone does
    not tell, in the language of the whole story."""
    story_language = guess_language(" ".join(texts)) if texts else "en"
    return [read(t, story_language) for t in texts]


def story_keys(story: Story) -> tuple[int, ...]:
    """The story's near-duplicate keys: its wording sketch and its anchor keys."""
    read_all = readings(story_sentences(story))
    return wording_keys(read_all) + anchor_keys(read_all)


def _retold(evidence: Evidence) -> set[int]:
    """The known stories sharing enough of the story's wording to be what it retells."""
    return {sid for sid, shared in evidence.wording.items() if shared >= WORDING_NEAR}


def _context_stories(
    evidence: Evidence, alignments: Sequence[tuple[tuple[Known, ...], float]]
) -> set[int]:
    ids = _retold(evidence)
    ids.update(evidence.anchors)
    for aligned, coverage in alignments:
        if coverage >= ALIGNED:
            ids.update(k.fact.story_id for k in aligned)
    return ids


def _by_meaning(
    meaning: Meaning, text: str, pool: Sequence[Known], context_coverage: float, names: bool
) -> Known | None:
    """The known fact that says the same as `text` in other words, if one does: close in
    meaning (`KNOWN_MEANING`), or fairly close with some of its words known nearby. A sentence
    whose only new anchors are names (a capital for its country: "Pyongyang") must be closer
    still, with most of its words known (`NAME_MEANING`, `NAME_WORDS`)."""
    if not pool:
        return None
    score, best = meaning.closest(text, [k.fact.text for k in pool])
    if names:
        close = score >= NAME_MEANING and context_coverage >= NAME_WORDS
    else:
        close = score >= KNOWN_MEANING or (score >= NEAR_MEANING and context_coverage >= NEAR_WORDS)
    return pool[best] if close else None


def assess(story: Story, knowledge: Knowledge, meaning: Meaning | None = None) -> Assessment:
    """Judge each fact of the story against the knowledge."""
    texts = story_sentences(story)
    read_all = readings(texts)
    keys = [fact_keys(r) for r in read_all]
    wording = wording_keys(read_all)
    evidence = gather(read_all, keys, wording, knowledge)
    alignments = [
        align(r, [k for k in candidates if k.reading.lang == r.lang])
        for r, candidates in zip(read_all, evidence.candidates, strict=True)
    ]
    story_ids = _context_stories(evidence, alignments)
    load_stories(evidence, knowledge, story_ids)
    context_facts = evidence.facts_of(story_ids)
    aligned_stories = {k.fact.story_id for aligned, _ in alignments for k in aligned}
    base = Context.of(
        context_facts, facts_of_stories(evidence, knowledge, aligned_stories), _retold(evidence)
    )
    findings = []
    for text, reading, fact_key, (aligned, coverage), candidates in zip(
        texts, read_all, keys, alignments, evidence.candidates, strict=True
    ):
        native = reading.lang == evidence.language
        context = base.with_aligned(aligned, candidates)
        anchors = context.new_anchors(reading, names=True, published=story.published)
        if not native:  # a country's or city's name in another language is no news: "Moskva"
            anchors = frozenset(
                a for a in anchors if a not in reading.names or _foreign_name(a, reading, context)
            )
        nearby = _first_copies((*candidates, *context_facts))
        conflict = find_conflict(reading, nearby)
        context_coverage = max(coverage, context.coverage(reading))
        by_meaning = False
        if native:
            is_new = bool(anchors) or context_coverage < MOSTLY or conflict is not None
            if is_new and meaning and conflict is None and anchors <= reading.names:
                same = _by_meaning(meaning, text, nearby, context_coverage, bool(anchors))
                if same is not None:
                    is_new, aligned, anchors = False, (same, *aligned), frozenset()
                    by_meaning = True
        else:
            is_new = coverage < MOSTLY and (bool(anchors) or not context_facts)
        closeness, known_day = 0.0, False
        if not findings:  # the lead: is it a known event?
            known_day = bool(days_named(reading, story.published) & base.days)
            if meaning is not None:
                closeness = meaning.closest(text, [k.fact.text for k in nearby])[0]
        findings.append(
            Finding(text, reading, fact_key, is_new, aligned, coverage, context_coverage,
                    anchors, conflict, native, closeness, known_day, by_meaning)
        )  # fmt: skip
    return Assessment(findings, evidence, wording, anchor_keys(read_all))
