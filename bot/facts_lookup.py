"""Fact lookup for `facts <query>`: the best-matching known facts, each with its sources.

Candidates come from the store by each query word (so one misspelt word does not empty the
result); they are ranked by rapidfuzz's token-set score against the whole query, with a
bonus per query word present. Identical statements from several outlets are one line that
lists every source — statements that differ stay separate lines, never merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz

from watchers.models import KnownFact
from watchers.store import Store

_WORD = re.compile(r"\w{3,}", re.UNICODE)
_STOP = frozenset(
    "the and for with that this from what who when where how are was were has have had "
    "not but its their about into over".split()
)


@dataclass
class FoundFact:
    text: str
    score: float
    sources: list[tuple[str, datetime | None, str | None]] = field(default_factory=list)
    story_ids: list[int] = field(default_factory=list)  # the stories that stated it

    def line(self) -> str:
        cites = "; ".join(
            src + (f", {when.date().isoformat()}" if when else "") + (f" <{link}>" if link else "")
            for src, when, link in self.sources[:4]
        )
        more = f" (+{len(self.sources) - 4} more)" if len(self.sources) > 4 else ""
        return f"“{self.text}” — {cites}{more}"


def _terms(query: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(query)) if w not in _STOP]


def lookup_facts(store: Store, query: str, limit: int = 8) -> list[FoundFact]:
    terms = _terms(query)
    if not terms:
        return []
    candidates: dict[int, KnownFact] = {}
    for term in terms:
        for fact in store.facts_matching([term[:6]], limit=300):
            candidates[fact.id] = fact
    found: dict[str, FoundFact] = {}
    for fact in candidates.values():
        low = fact.text.lower()
        score = fuzz.token_set_ratio(query.lower(), low) + 25 * sum(t in low for t in terms)
        key = " ".join(low.split())
        entry = found.setdefault(key, FoundFact(fact.text, score))
        entry.sources.append((fact.source, fact.published, fact.link))
        entry.story_ids.append(fact.story_id)
    ranked = sorted(found.values(), key=lambda f: -f.score)
    return ranked[:limit]
