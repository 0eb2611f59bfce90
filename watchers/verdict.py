"""The verdict on an on-topic story: retelling, new detail or new story, and why.

- RETELLING: no fact is new. Silent; `duplicate_of` names the known story it retells.
- NEW_STORY: fewer than half of its facts are known and no known story shares its wording
  (`facts.WORDING_NEAR` keys); the alert carries an extractive summary.
- NEW_DETAIL: otherwise; the alert quotes only the new facts, each with the known facts it
  contradicts, if any.
`duplicate_of` is the known story that states most of the story's facts (ties: shared
wording, then shared anchors, then the oldest). `why` says it in plain words, e.g.
"retelling: 9 of 10 facts already known from Shafaq News (2025-01-17)"; `extra` holds the
figures behind it.
"""

from __future__ import annotations

from collections import Counter

from watchers.dedup import STORY_SKETCH
from watchers.evidence import Evidence
from watchers.facts import WORDING_NEAR, Finding, assess
from watchers.models import FactRecord, Judgement, KnownStory, Knowledge, NewFact, Story, Verdict
from watchers.summary import summarize

KNOWN_STORY_SHARE = 0.5  # a story with fewer known facts than this may be a new story


def _closest(findings: list[Finding], evidence: Evidence) -> KnownStory | None:
    votes = Counter(f.aligned[0].fact.story_id for f in findings if f.aligned and not f.is_new)
    candidates = set(votes) | set(evidence.wording) | set(evidence.anchors)
    candidates &= set(evidence.stories)
    if not candidates:
        return None
    best = max(
        candidates,
        key=lambda s: (votes[s], evidence.wording.get(s, 0), evidence.anchors.get(s, 0), -s),
    )
    if not votes[best] and evidence.wording.get(best, 0) < WORDING_NEAR:
        return None
    return evidence.stories[best]


def _named(story: KnownStory | None) -> str:
    if story is None:
        return "known stories"
    day = f" ({story.published.date().isoformat()})" if story.published else ""
    return f"{story.source}{day}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def judge(story: Story, topics: tuple[str, ...], knowledge: Knowledge) -> Judgement:
    """Judge an on-topic story against everything known."""
    findings, evidence, keys = assess(story, knowledge)
    facts = tuple(FactRecord(f.text, f.keys, f.is_new) for f in findings)
    new = [f for f in findings if f.is_new]
    known = len(findings) - len(new)
    duplicate = _closest(findings, evidence)
    wording = max(evidence.wording.values(), default=0)
    extra = {
        "facts": float(len(findings)),
        "known_facts": float(known),
        "new_facts": float(len(new)),
        "conflicts": float(sum(f.conflict is not None for f in new)),
        "wording_overlap": wording / STORY_SKETCH,
        "mean_coverage": sum(f.context_coverage for f in findings) / max(len(findings), 1),
    }
    base = Judgement(
        Verdict.RETELLING, topics, "", duplicate_of=duplicate, facts=facts, story_keys=keys,
        extra=extra,
    )  # fmt: skip
    if not findings:
        why = "retelling: nothing but page chrome and headings to compare"
        return _replace(base, why=why)
    if not new:
        why = f"retelling: {known} of {len(findings)} facts already known from {_named(duplicate)}"
        return _replace(base, why=why)
    new_facts = tuple(_new_fact(f) for f in new)
    if known < KNOWN_STORY_SHARE * len(findings) and wording < WORDING_NEAR:
        why = f"new story: {known} of {len(findings)} facts known; no known story shares its wording"
        return _replace(
            base, verdict=Verdict.NEW_STORY, why=why, new_facts=new_facts, summary=summarize(story),
            duplicate_of=None,
        )  # fmt: skip
    conflicts = int(extra["conflicts"])
    why = f"new detail: {_plural(len(new), 'fact')} not in any known story"
    if conflicts:
        why += f", {conflicts} contradicting one"
    if duplicate is not None:
        why += f"; the rest retells {_named(duplicate)}"
    return _replace(base, verdict=Verdict.NEW_DETAIL, why=why, new_facts=new_facts)


def _new_fact(finding: Finding) -> NewFact:
    conflict = finding.conflict
    if conflict is None:
        return NewFact(finding.text)
    return NewFact(finding.text, tuple(k.fact for k in conflict.known), conflict.describe())


def _replace(judgement: Judgement, **changes: object) -> Judgement:
    from dataclasses import replace

    return replace(judgement, **changes)
