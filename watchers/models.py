"""The nouns of news-in: feeds, topics, stories, facts and verdicts.

Plain frozen dataclasses with no behaviour beyond small derived values. Every other
`watchers` module speaks in these types; `bot/` builds them from configuration and reads
them back from the store. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class FeedSource:
    """A feed to poll. `interval` is seconds between polls (None: the global default).

    `origin` is "config" for the operator's feeds (trusted: may point anywhere) and "chat"
    for feeds added by users (every fetch passes the SSRF guard).
    """

    name: str
    url: str
    interval: int | None = None
    origin: str = "config"


@dataclass(frozen=True)
class AliasGroup:
    """One concept a story must mention, by any of its aliases (any language or script)."""

    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    """A named query: every alias group must match; any exclusion vetoes."""

    name: str
    title: str
    groups: tuple[AliasGroup, ...]
    exclude: tuple[str, ...] = ()
    fuzzy_threshold: int = 85
    since: datetime | None = None  # stories published before this are off topic
    anywhere: tuple[AliasGroup, ...] = ()  # aliases of a group that also count past the lead


@dataclass(frozen=True)
class Story:
    """One feed item, normalised. `key` is stable across polls (see watchers.canonical)."""

    key: str
    title: str
    text: str
    source: str
    link: str | None = None
    published: datetime | None = None
    feed_url: str | None = None


class Verdict(StrEnum):
    OFF_TOPIC = "off_topic"
    RETELLING = "retelling"
    NEW_DETAIL = "new_detail"
    NEW_STORY = "new_story"


@dataclass(frozen=True)
class KnownFact:
    """A fact already in the store, with where it came from."""

    id: int
    story_id: int
    text: str
    source: str
    link: str | None
    published: datetime | None


@dataclass(frozen=True)
class KnownStory:
    """A story already in the store. `cluster_id` is the first story of its event."""

    id: int
    cluster_id: int
    title: str
    source: str
    link: str | None
    published: datetime | None
    label: str  # how a user names it: its link, or the seed file name


@dataclass(frozen=True)
class FactRecord:
    """A fact of the story being judged, ready to store: text, lookup keys, novelty."""

    text: str
    keys: tuple[int, ...]  # locality-sensitive keys used to find similar facts later
    is_new: bool
    restates: tuple[int, ...] = ()  # ids of the known facts a known fact says again, best first


@dataclass(frozen=True)
class NewFact:
    """A fact no known story states. `conflicts_with` holds known facts it contradicts."""

    text: str
    conflicts_with: tuple[KnownFact, ...] = ()
    conflict: str = ""  # e.g. 'number differs: "191" vs "192"'
    language: str = ""  # ISO code, when written in another language than what it is judged by


@dataclass(frozen=True)
class Judgement:
    """What the pipeline decided about one story, and everything needed to record it."""

    verdict: Verdict
    topics: tuple[str, ...]
    why: str
    duplicate_of: KnownStory | None = None
    new_facts: tuple[NewFact, ...] = ()
    summary: str | None = None
    facts: tuple[FactRecord, ...] = ()
    story_keys: tuple[int, ...] = ()  # near-duplicate lookup keys of the whole story
    extra: dict[str, float] = field(default_factory=dict)  # figures behind `why`


class Knowledge(Protocol):
    """What the verdict needs to ask of everything known. The store implements it.

    Keys are the locality-sensitive integers of `FactRecord.keys` / `Judgement.story_keys`:
    anything sharing a key with the query is a candidate; the caller does the exact scoring.
    """

    def similar_facts(self, keys: Sequence[int], limit: int = 200) -> list[tuple[KnownFact, int]]:
        """Known facts sharing keys with `keys`, with the number shared, most first."""
        ...

    def similar_stories(self, keys: Sequence[int], limit: int = 20) -> list[tuple[KnownStory, int]]:
        """Known stories sharing keys with `keys`, with the number shared, most first."""
        ...

    def facts_of(self, story_ids: Sequence[int]) -> list[KnownFact]:
        """Every fact of these stories."""
        ...

    def stories(self, story_ids: Sequence[int]) -> list[KnownStory]:
        """These stories (unknown ids are left out)."""
        ...
