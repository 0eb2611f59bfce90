"""Reading real feed text: what feeds glue onto the news never becomes a fact.

Each case is a shape seen in real feed bodies (the texts are ours): the title repeated at the
top, glued to the first sentence or followed by a dateline; agency tags; labels, widget
captions, related headlines, credits and promos run into sentences; excerpts cut mid-word;
repeated paragraphs; hard-wrapped lines; tables; an explainer's questions. The last cases
judge whole items: a verbatim copy of a seed wrapped in such chrome is a silent retelling.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchers.engine.facts import story_sentences
from watchers.engine.meaning import Meaning, bundled
from watchers.engine.text import sentences
from watchers.engine.verdict import judge
from watchers.models import Story, Verdict

from .fakes.knowledge import SEEDS, MemoryKnowledge

TITLE = "Russia and Iran sign partnership pact, stirring unease in the West"
LEAD = "Iran's parliament speaker welcomed the treaty on Saturday."


@pytest.mark.parametrize(
    "body",
    [
        f"{TITLE}\n\n{LEAD}",  # the title as the first paragraph
        f"{TITLE} {LEAD}",  # glued, no full stop
        f"{TITLE} TEHRAN – {LEAD}",  # glued, with a dateline after it
        f"{TITLE} | Caspian Courier\n\n{LEAD}",  # with the outlet's name after it
    ],
    ids=["own-paragraph", "glued", "glued-dateline", "outlet-suffix"],
)
def test_the_title_repeated_at_the_top_is_taken_off(body: str) -> None:
    assert sentences(body, TITLE) == [LEAD]


def test_a_lead_that_begins_with_the_titles_words_is_kept_whole() -> None:
    title = "Russia and Iran set up joint clearing house in Tehran"
    lead = (
        "Russia and Iran set up a joint clearing house in Tehran with a capital of 12 billion "
        "roubles on Thursday."
    )
    assert sentences(lead, title) == [lead]


@pytest.mark.parametrize(
    "glued",
    [
        "(IRNA) – ",
        "TEHRAN (IRNA) – ",
        "Moscow, Jan 17 (Agency) - ",
        "MOSCOW, January 17 (Wire) — ",
        "ANKARA/ ",
        "Tasnim News Agency – ",
        "/ ۰۲:۴۱ ",  # a timestamp in Persian digits
        "(Photo: IRNA) ",
        "برای شنیدن این خبر کلیک کنید ",  # a listen-to-this widget's caption, in Persian
    ],
)
def test_datelines_agency_tags_and_captions_before_the_first_word_go(glued: str) -> None:
    assert sentences(glued + LEAD) == [LEAD]


def test_labels_glued_into_sentences_become_breaks() -> None:
    body = (
        "The leaders signed the treaty in the Kremlin on Friday.ADVERTISEMENTThe pact runs for "
        "twenty years. Advertisement The parties will hold joint drills. Story continues below "
        "advertisement\n\nListen to this article The text has 47 articles."
    )
    assert sentences(body) == [
        "The leaders signed the treaty in the Kremlin on Friday.",
        "The pact runs for twenty years.",
        "The parties will hold joint drills.",
        "The text has 47 articles.",
    ]


def test_related_headlines_run_onto_the_last_sentence_go() -> None:
    body = (
        "The treaty will enter into force after both parliaments ratify it. Putin Meets "
        "Pezeshkian In Moscow Iran Says Treaty Not Aimed At Third Countries Oil Prices Rise"
    )
    assert sentences(body) == ["The treaty will enter into force after both parliaments ratify it."]


@pytest.mark.parametrize(
    "chrome",
    [
        "With inputs from agencies",
        "(With inputs from PTI and ANI)",
        "(Reporting by A. Writer in Moscow; Editing by B. Editor)",
        "Here are five things to know about the new treaty.",
        "Join our Telegram channel for the latest updates.",
        "The post Russia and Iran sign pact appeared first on Caspian Courier.",
        "Read more: Russia and Iran sign a treaty",
        "| Article | Subject |\n|---|---|\n| 12 | Defence |",
    ],
)
def test_credits_promos_and_tables_are_not_facts(chrome: str) -> None:
    assert sentences(f"{LEAD}\n\n{chrome}") == [LEAD]


def test_a_credit_in_brackets_after_the_last_sentence_goes() -> None:
    assert sentences(f"{LEAD} (Reporting by A. Writer; Editing by B. Editor)") == [LEAD]


def test_an_excerpt_cut_mid_word_loses_the_cut_word() -> None:
    body = f"{LEAD} The agreement will be in force for twenty years and the two sides agr…"
    assert sentences(body) == [
        LEAD,
        "The agreement will be in force for twenty years and the two sides",
    ]


def test_repeated_paragraphs_hard_wrapped_lines_and_questions() -> None:
    body = (
        "What did Russia and Iran sign?\n\n"
        "The two presidents signed a comprehensive strategic partnership\n"
        "treaty in the Kremlin on Friday.\n\n"
        "The two presidents signed a comprehensive strategic partnership treaty in the Kremlin "
        "on Friday."
    )
    assert sentences(body) == [
        "The two presidents signed a comprehensive strategic partnership treaty in the Kremlin "
        "on Friday."
    ]


SEED = SEEDS / "002_28b1c72fac049799.txt"


@pytest.fixture(scope="module")
def meaning() -> Meaning:
    return Meaning(bundled())


def _judge(title: str, body: str, meaning: Meaning) -> Verdict:
    story = Story(
        key="copy", title=title, text=body, source="Copy Desk",
        published=datetime(2025, 1, 17, 18, tzinfo=UTC),
    )  # fmt: skip
    return judge(story, ("russia-iran",), MemoryKnowledge.seeded(), meaning).verdict


def test_a_verbatim_seed_copy_with_a_glued_title_and_chrome_is_a_silent_retelling(
    meaning: Meaning,
) -> None:
    seed = SEED.read_text(encoding="utf-8")
    title = "Putin and Pezeshkian sign 20-year treaty in Moscow"
    first, _, rest = seed.partition("\n")
    body = (
        f"برای شنیدن این خبر کلیک کنید {title} {first}\nADVERTISEMENT{rest}\n"
        "With inputs from agencies Iran Hails Treaty Kremlin Publishes Text Oil Falls Again"
    )
    assert _judge(title, body, meaning) == Verdict.RETELLING


def test_an_item_with_no_body_of_its_own_states_its_headline() -> None:
    item = Story(
        key="k", title="Iran's parliament ratifies Russia treaty by 150 votes - Caspian Courier",
        text="Iran's parliament ratifies Russia treaty  Caspian Courier", source="Search",
    )  # fmt: skip
    assert story_sentences(item) == ["Iran's parliament ratifies Russia treaty by 150 votes"]
