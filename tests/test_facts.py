"""A story's facts, their keys, and the novelty of each fact against what is known."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchers.facts import Finding, assess, fact_records, story_keys
from watchers.models import Story

from .fakes.knowledge import SEEDS, MemoryKnowledge

SEED_000 = (SEEDS / "000_d691e28cc619d387.txt").read_text(encoding="utf-8")


def story(text: str, title: str = "", when: datetime | None = None) -> Story:
    published = when or datetime(2025, 1, 18, 9, tzinfo=UTC)
    return Story(key="k", title=title, text=text, source="Example Wire", published=published)


@pytest.fixture(scope="module")
def knowledge() -> MemoryKnowledge:
    return MemoryKnowledge.seeded()


def finding(knowledge: MemoryKnowledge, sentence: str) -> Finding:
    (only,) = assess(story(sentence), knowledge).findings
    return only


def test_fact_records_are_the_sentences_all_new_with_keys() -> None:
    records = fact_records(story(SEED_000))
    assert len(records) == 15
    assert all(r.is_new and r.keys for r in records)
    assert records[3].text == "The signing coincided with Pezhkian's visit to Moscow."


def test_a_story_without_body_is_judged_by_its_title() -> None:
    (record,) = fact_records(story("", title="Russia and Iran sign 20-year treaty in Moscow."))
    assert record.text == "Russia and Iran sign 20-year treaty in Moscow."


def test_story_keys_are_shared_by_copies_not_by_other_stories() -> None:
    original = set(story_keys(story(SEED_000)))
    copy = set(story_keys(story(SEED_000.replace("signed", "inked"))))
    other = set(story_keys(story("Wheat exports across the Caspian fell by a third this season.")))
    assert len(original & copy) > 0.8 * len(original)
    assert not original & other


def test_a_paraphrase_of_a_known_sentence_is_known(knowledge: MemoryKnowledge) -> None:
    found = finding(
        knowledge,
        "Neither country will let its territory be used for actions threatening the other, "
        "Interfax reported.",
    )
    assert not found.is_new
    assert found.aligned[0].fact.source == "Shafaq News"
    assert found.coverage >= 0.5


def test_another_spelling_of_a_known_name_is_not_news(knowledge: MemoryKnowledge) -> None:
    found = finding(knowledge, "Pezeshkiyan described the agreement as a new chapter in relations.")
    assert not found.is_new and not found.new_anchors


def test_a_known_day_in_other_words_is_not_news(knowledge: MemoryKnowledge) -> None:
    found = finding(knowledge, "Putin and Pezeshkian signed the 20-year agreement on 17 January.")
    assert not found.is_new


def test_a_number_no_known_fact_states_makes_a_fact_new(knowledge: MemoryKnowledge) -> None:
    found = finding(knowledge, "Putin and Pezeshkian signed the 20-year agreement of 47 articles.")
    assert found.is_new and found.new_anchors == {"47"}


def test_a_name_no_known_fact_states_makes_a_fact_new(knowledge: MemoryKnowledge) -> None:
    found = finding(knowledge, "Putin said the agreement was welcomed by Kassym-Jomart Tokayev.")
    assert found.is_new and {"kassym", "jomart", "tokayev"} <= found.new_anchors


def test_a_sentence_mostly_about_unknown_things_is_new(knowledge: MemoryKnowledge) -> None:
    found = finding(knowledge, "Exporters of fruit and vegetables hope for quicker customs checks.")
    assert found.is_new and found.context_coverage < 0.5


def test_against_an_empty_knowledge_every_fact_is_new() -> None:
    findings = assess(story(SEED_000), MemoryKnowledge()).findings
    assert all(f.is_new and not f.aligned for f in findings)
