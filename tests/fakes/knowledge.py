"""An in-memory `Knowledge` that indexes facts and stories by key, as the SQL store does.

`remember(story, judgement)` stores what the pipeline would record: the story, its facts with
their keys, and its story keys; a story judged a copy joins the cluster of the story it copies.
`seed(story)` remembers a story with every fact new, as the seeds are loaded; `seeded()` is a
knowledge holding the project's seeds/.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from watchers.engine.facts import fact_records, story_keys
from watchers.models import Judgement, KnownFact, KnownStory, Story, Verdict
from watchers.seeds import load_seeds

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


class MemoryKnowledge:
    def __init__(self) -> None:
        self._facts: dict[int, KnownFact] = {}
        self._stories: dict[int, KnownStory] = {}
        self._fact_keys: dict[int, set[int]] = defaultdict(set)
        self._story_keys: dict[int, set[int]] = defaultdict(set)

    @classmethod
    def seeded(cls) -> MemoryKnowledge:
        """A knowledge holding the project's seed articles, as the pipeline loads them."""
        knowledge = cls()
        for story, label in load_seeds(SEEDS):
            knowledge.seed(story, label)
        return knowledge

    def seed(self, story: Story, label: str) -> KnownStory:
        judgement = Judgement(
            Verdict.NEW_STORY, (), "seed", facts=fact_records(story), story_keys=story_keys(story)
        )
        return self.remember(story, judgement, label)

    def remember(self, story: Story, judgement: Judgement, label: str) -> KnownStory:
        sid = len(self._stories) + 1
        dup = judgement.duplicate_of
        known = KnownStory(
            sid, dup.cluster_id if dup else sid, story.title, story.source, story.link,
            story.published, label,
        )  # fmt: skip
        self._stories[sid] = known
        for key in judgement.story_keys:
            self._story_keys[key].add(sid)
        for record in judgement.facts:
            fid = len(self._facts) + 1
            self._facts[fid] = KnownFact(
                fid, sid, record.text, story.source, story.link, story.published
            )
            for key in record.keys:
                self._fact_keys[key].add(fid)
        return known

    def similar_facts(self, keys: Sequence[int], limit: int = 200) -> list[tuple[KnownFact, int]]:
        shared: Counter[int] = Counter()
        for key in set(keys):
            shared.update(self._fact_keys.get(key, ()))
        ranked = sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [(self._facts[fid], count) for fid, count in ranked]

    def similar_stories(self, keys: Sequence[int], limit: int = 20) -> list[tuple[KnownStory, int]]:
        shared: Counter[int] = Counter()
        for key in set(keys):
            shared.update(self._story_keys.get(key, ()))
        ranked = sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [(self._stories[sid], count) for sid, count in ranked]

    def facts_of(self, story_ids: Sequence[int]) -> list[KnownFact]:
        wanted = set(story_ids)
        return [f for f in self._facts.values() if f.story_id in wanted]

    def stories(self, story_ids: Sequence[int]) -> list[KnownStory]:
        return [self._stories[sid] for sid in sorted(set(story_ids)) if sid in self._stories]
