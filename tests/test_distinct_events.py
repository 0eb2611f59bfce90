"""Different events are different stories, whatever order they arrive in.

Four steps in carrying out the treaty share the two countries, the treaty and a city with
another. Shared actors, places and the treaty do not make one event: each is judged a new
story in every one of the 24 orders, and its own central figure is one of its new facts —
never counted as known because a story about another step came first.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from watchers.engine.meaning import Meaning, bundled
from watchers.engine.verdict import judge
from watchers.models import Story, Verdict

from .fakes.knowledge import MemoryKnowledge

EVENTS = {
    "cards": (
        datetime(2025, 2, 10, 9, tzinfo=UTC),
        "Russia and Iran link their payment cards under the partnership treaty",
        "Russia and Iran linked their Mir and Shetab payment card networks on Monday under the "
        "strategic partnership treaty, so that travellers can pay in shops in Moscow and "
        "Tehran. The two central banks said 1.2 million cards could be used in the first stage. "
        "Cash withdrawals will follow later in the year, officials in Tehran said.",
        "1.2 million cards",
    ),
    "grain": (
        datetime(2025, 2, 18, 11, tzinfo=UTC),
        "Russia to sell Iran wheat under the partnership treaty",
        "Russia will sell Iran 2 million tonnes of wheat over the next twelve months, the two "
        "agriculture ministers said in Tehran on Tuesday, citing the strategic partnership "
        "treaty. The grain will cross the Caspian Sea by ship to the port of Anzali. Iran "
        "will pay partly in rials, the Iranian ministry said.",
        "2 million tonnes of wheat",
    ),
    "consulates": (
        datetime(2025, 3, 5, 8, tzinfo=UTC),
        "Iran and Russia open consulates in Kazan and Rasht",
        "Iran and Russia opened consulates general in Kazan and Rasht on Wednesday, a step set "
        "out in the strategic partnership treaty signed in Moscow. Each mission expects to issue "
        "about 300 visas a week to traders and students. The consuls were named in February, "
        "the foreign ministries in Moscow and Tehran said.",
        "about 300 visas a week",
    ),
    "clearing": (
        datetime(2025, 3, 20, 10, tzinfo=UTC),
        "Russia and Iran set up a joint clearing house in Tehran",
        "Russia and Iran have set up a joint clearing house in Tehran with a capital of 12 "
        "billion roubles to settle trade under the strategic partnership treaty. Payments will "
        "be converted at a daily rouble-rial rate agreed by the two central banks. The clearing "
        "house will open to importers in Moscow and Tehran in April.",
        "12 billion roubles",
    ),
}


@pytest.fixture(scope="module")
def meaning() -> Meaning:
    return Meaning(bundled())


@pytest.mark.parametrize("order", list(itertools.permutations(EVENTS)), ids="-".join)
def test_each_event_is_its_own_story_with_its_own_figure_new(
    order: tuple[str, ...], meaning: Meaning
) -> None:
    knowledge = MemoryKnowledge.seeded()
    for name in order:
        when, title, text, figure = EVENTS[name]
        item = Story(key=name, title=title, text=text, source=f"{name} wire", published=when)
        judgement = judge(item, ("russia-iran",), knowledge, meaning)
        knowledge.remember(item, judgement, item.key)
        assert judgement.verdict == Verdict.NEW_STORY, (name, judgement.why)
        assert any(figure in fact.text for fact in judgement.new_facts), (name, judgement.why)
