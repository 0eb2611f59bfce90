"""A story's facts, their keys, and the novelty of each fact against what is known."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchers.engine.facts import Finding, assess, fact_records, story_keys
from watchers.models import Story

from .fakes.knowledge import SEEDS, MemoryKnowledge

SEED_000 = (SEEDS / "000_d691e28cc619d387.txt").read_text(encoding="utf-8")


def story(text: str, title: str = "", when: datetime | None = None) -> Story:
    published = when or datetime(2025, 1, 18, 9, tzinfo=UTC)
    return Story(key="k", title=title, text=text, source="Example Wire", published=published)


@pytest.fixture(scope="module")
def knowledge() -> MemoryKnowledge:
    return MemoryKnowledge.seeded()


def finding(knowledge: MemoryKnowledge, sentence: str, when: datetime | None = None) -> Finding:
    (only,) = assess(story(sentence, when=when), knowledge).findings
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


def test_the_known_weekday_in_a_story_of_the_next_day_is_not_news(
    knowledge: MemoryKnowledge,
) -> None:
    found = finding(knowledge, "Putin and Pezeshkian signed the agreement in Moscow on Friday.")
    assert not found.is_new


def test_the_same_words_on_a_later_friday_are_news(knowledge: MemoryKnowledge) -> None:
    later = datetime(2025, 3, 15, 8, tzinfo=UTC)
    sentence = "Putin and Pezeshkian met in Moscow on Friday."
    assert not finding(knowledge, sentence).is_new
    found = finding(knowledge, sentence, when=later)
    assert found.is_new and found.new_anchors == {"3-14"}


def test_a_late_reprint_of_a_known_sentence_keeps_its_friday(knowledge: MemoryKnowledge) -> None:
    lead = (SEEDS / "002_28b1c72fac049799.txt").read_text(encoding="utf-8").split("\n")[0]
    reprinted = finding(knowledge, lead, when=datetime(2025, 3, 12, 12, tzinfo=UTC))
    assert not reprinted.is_new


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


def test_a_known_name_said_to_do_what_no_story_of_it_tells_is_news() -> None:
    knowledge = MemoryKnowledge.seeded()
    knowledge.seed(
        story("Foreign Minister Abbas Araghchi delivered a letter to the Kremlin on Thursday."),
        "letter",
    )
    quoted = "Pezeshkian described the agreement as a new chapter in bilateral relations."
    assert not finding(knowledge, quoted).is_new
    moved = finding(knowledge, quoted.replace("Pezeshkian", "Araghchi"))
    assert moved.is_new and moved.new_anchors == {"araghchi"}
