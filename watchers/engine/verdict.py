"""The verdict on an on-topic story: retelling, new detail or new story, and why.

- RETELLING: no fact is new. Silent; `duplicate_of` names the known story it retells.
- NEW_STORY: its lead (first fact: what the story is about) is new, fewer than half of its
  facts are known and no known story shares a quarter of its wording sketch
  (`WORDING_SHARED`); the alert carries an extractive summary. A story whose lead is known
  is about a known event, however much it adds: a new detail; so is one whose lead gives
  another value for a known fact (a vote tallied differently).
- NEW_DETAIL: otherwise; the alert quotes only the new facts, each with the known facts it
  contradicts, if any.
`duplicate_of` is the known story that states most of the story's known facts (ties: shared
wording, then shared anchors, then the oldest); none when nothing known is close. `why` says
it in plain words, e.g. "retelling: 9 of 10 facts already known from Shafaq News
(2025-01-17)"; `extra` holds the figures behind it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from watchers.engine.candidates import Evidence
from watchers.engine.facts import WORDING_NEAR, Finding, assess
from watchers.engine.meaning import Meaning
from watchers.engine.summary import summarize
from watchers.models import FactRecord, Judgement, Knowledge, KnownStory, NewFact, Story, Verdict

KNOWN_STORY_SHARE = 0.5  # a story with fewer known facts than this may be a new story
WORDING_SHARED = 0.25  # share of its wording sketch a known story must share to be the same


def _closest(findings: list[Finding], evidence: Evidence) -> KnownStory | None:
    """The known story stating most of the story's known facts, if one is close at all."""
    votes = Counter(f.aligned[0].fact.story_id for f in findings if f.aligned and not f.is_new)
    candidates = (set(votes) | set(evidence.wording) | set(evidence.anchors)) & set(
        evidence.stories
    )
    if not candidates:
        return None
    wording, anchors = evidence.wording, evidence.anchors
    best = max(candidates, key=lambda s: (votes[s], wording.get(s, 0), anchors.get(s, 0), -s))
    close = votes[best] or wording.get(best, 0) >= WORDING_NEAR or anchors.get(best, 0) >= 2
    return evidence.stories[best] if close else None


def _named(story: KnownStory | None) -> str:
    if story is None:
        return "known stories"
    day = f" ({story.published.date().isoformat()})" if story.published else ""
    return f"{story.source}{day}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def judge(
    story: Story, topics: tuple[str, ...], knowledge: Knowledge, meaning: Meaning | None = None
) -> Judgement:
    """Judge an on-topic story against everything known (by meaning too, given a model)."""
    assessment = assess(story, knowledge, meaning)
    findings, evidence = assessment.findings, assessment.evidence
    new = [f for f in findings if f.is_new]
    known = len(findings) - len(new)
    duplicate = _closest(findings, evidence)
    foreign = sum(not f.native for f in findings)
    extra = {
        "facts": float(len(findings)),
        "known_facts": float(known),
        "new_facts": float(len(new)),
        "conflicts": float(sum(f.conflict is not None for f in new)),
        "wording_overlap": assessment.wording_overlap,
        "mean_coverage": sum(f.context_coverage for f in findings) / max(len(findings), 1),
        "other_language_facts": float(foreign),
    }
    judgement = Judgement(
        Verdict.RETELLING, topics, "", duplicate_of=duplicate,
        facts=tuple(_record(f) for f in findings),
        story_keys=assessment.wording + assessment.anchors, extra=extra,
    )  # fmt: skip
    note = "; in another language, so compared by numbers and dates" if foreign else ""
    if not findings:
        return replace(judgement, why="retelling: nothing but page chrome and headings to compare")
    if not new:
        why = f"retelling: {known} of {len(findings)} facts already known from {_named(duplicate)}"
        return replace(judgement, why=why + note)
    new_facts = tuple(_new_fact(f) for f in new)
    restated = sum(f.restated for f in findings)
    if (
        not findings[0].known_event
        and restated < KNOWN_STORY_SHARE * len(findings)
        and assessment.wording_overlap < WORDING_SHARED
    ):
        # a new event: a fact is known only where a known fact restates it, not where the
        # words of stories about other events happen to cover it
        fresh = tuple(_new_fact(f) for f in findings if not f.restated)
        why = f"new story: {restated} of {len(findings)} facts known"
        why += "; no known story shares its wording"
        return replace(
            judgement, verdict=Verdict.NEW_STORY, why=why + note, new_facts=fresh,
            summary=summarize(story), duplicate_of=None,
            facts=tuple(_record(f, new=not f.restated) for f in findings),
        )  # fmt: skip
    why = f"new detail: {_plural(len(new), 'fact')} not in any known story"
    if conflicts := int(extra["conflicts"]):
        why += f", {conflicts} contradicting one"
    if duplicate is not None:
        why += f"; the rest retells {_named(duplicate)}"
    return replace(judgement, verdict=Verdict.NEW_DETAIL, why=why + note, new_facts=new_facts)


def _record(finding: Finding, new: bool | None = None) -> FactRecord:
    """The fact as stored; `new` overrides its novelty (a new story's unrestated facts)."""
    is_new = finding.is_new if new is None else new
    restates = () if is_new else tuple(k.fact.id for k in finding.aligned)
    return FactRecord(finding.text, finding.keys, is_new, restates)


def _new_fact(finding: Finding) -> NewFact:
    conflict = finding.conflict
    language = "" if finding.native else finding.reading.lang
    if conflict is None:
        return NewFact(finding.text, language=language)
    known = tuple(k.fact for k in conflict.known)
    return NewFact(finding.text, known, conflict.describe(), language)
