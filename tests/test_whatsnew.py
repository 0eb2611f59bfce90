"""`whatsnew <url>`: someone pastes a link and asks whether it says anything new.

The page is fetched like a feed added from chat (SSRF guard, timeout, size cap), its article
text is extracted from the HTML by trafilatura, and it is judged against everything known —
the seeds here — without recording anything. The pages are tests/pages/*.html: a saved copy
of seed 002 inside site chrome, and the same page with one added paragraph.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config
from bot.runtime import pipeline_settings
from bot.whatsnew import WhatsNew, WhatsNewError
from tests.analysts import Clock, Newsroom
from tests.fakes.discord_fake import MEMBER, DiscordFake
from tests.fakes.feed_server import FeedServer
from tests.fakes.process import write_config
from tests.fakes.slack_api import FakeSlackApi
from watchers.fetch import Fetcher
from watchers.pipeline import Pipeline
from watchers.store import Store

PAGES = Path(__file__).parent / "pages"
SAVED = PAGES / "seed_reuters_saved.html"
UPDATED = PAGES / "seed_reuters_added_paragraph.html"
ADDED = "Iran's parliament ratified the treaty on 12 March by 198 votes to 11, with 6 abstentions."
NOTHING_NEW = "Nothing new — retells Reuters (2025-01-17): 12 of 12 facts known"


@pytest.fixture
async def pages() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        html = "text/html; charset=utf-8"
        server.set("/saved", SAVED.read_bytes(), content_type=html)
        server.set("/updated", UPDATED.read_bytes(), content_type=html)
        yield server


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token="xoxb-analyst-bot-token") as fake:
        yield fake


def known_in(store: Store) -> tuple[dict[str, int], int]:
    """What the store holds: stories by verdict, and how many alerts."""
    alerts = store.db.one("SELECT COUNT(*) AS n FROM alerts")
    return store.verdict_counts(), int(alerts["n"]) if alerts else 0


# -- from the shell ----------------------------------------------------------------------


def test_a_saved_copy_of_a_seed_article_says_nothing_new(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path, [])
    assert main(["--config", str(config), "whatsnew", "--file", str(SAVED)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == NOTHING_NEW


def test_a_page_with_one_added_paragraph_quotes_that_paragraph(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path, [])
    url = "https://example-wire.example/2025/03/12/putin-pezeshkian-treaty-updated"
    assert main(["--config", str(config), "whatsnew", url, "--file", str(UPDATED)]) == 0
    title, *lines = capsys.readouterr().out.splitlines()
    assert title == "New detail: Putin and Pezeshkian sign 20-year treaty in Moscow"
    quoted = [line for line in lines if line.strip().startswith("•")]
    assert quoted == [f"  • {ADDED} — Example Wire ({url})"]


def test_a_loopback_address_is_refused_from_the_shell_without_a_request(
    tmp_path: Path, capsys
) -> None:
    with FeedServer() as server:
        server.set("/saved", SAVED.read_bytes(), content_type="text/html")
        config = write_config(tmp_path, [])
        assert main(["--config", str(config), "whatsnew", server.url("/saved")]) == 2
        assert server.requests == []
    err = capsys.readouterr().err.strip()
    assert err == f"newsdelta: {server.url('/saved')}: refused: 127.0.0.1 is loopback"


# -- in chat -----------------------------------------------------------------------------


async def test_slack_answers_after_its_acknowledgement_and_records_nothing(
    store_url: str, config: Config, slack: FakeSlackApi, pages: FeedServer
) -> None:
    pages.set("/saved", SAVED.read_bytes(), content_type="text/html", delay=0.5)
    clock = Clock("2025-03-12T13:00:00")
    async with Newsroom("serve", store_url, config, clock, slack) as room:
        before = known_in(room.store)
        reply = await room.slack_command(f"whatsnew <{pages.url('/saved')}>")
        assert reply["response_type"] == "ephemeral"
        assert reply["text"].splitlines()[0] == NOTHING_NEW
        assert known_in(room.store) == before == ({"seed": 2}, 0)


async def test_discord_defers_a_slow_page_then_quotes_the_new_paragraph(
    store_url: str, config: Config, slack: FakeSlackApi, pages: FeedServer
) -> None:
    pages.set("/updated", UPDATED.read_bytes(), content_type="text/html", delay=0.3)
    clock = Clock("2025-03-12T13:00:00")
    async with (
        DiscordFake("analyst-discord-token") as discord,
        Newsroom("serve", store_url, config, clock, slack, discord, defer_after=0.05) as room,
    ):
        exchange = await discord.command(
            "whatsnew", {"url": pages.url("/updated")}, permissions=MEMBER
        )
        assert exchange.callback == {"type": 5, "data": {"flags": 64}}  # deferred at once
        await discord.until(lambda: bool(exchange.followups))
        answer = exchange.followups[0]["content"]
        title, quoted, *_ = answer.splitlines()
        assert title == "**New detail: Putin and Pezeshkian sign 20-year treaty in Moscow**"
        assert quoted.startswith(f"  • {ADDED} — Example Wire")
        assert known_in(room.store) == ({"seed": 2}, 0)


async def test_a_loopback_address_is_refused_in_chat_and_no_request_is_made(
    store_url: str, config: Config, slack: FakeSlackApi, pages: FeedServer
) -> None:
    clock = Clock("2025-03-12T13:00:00")
    async with Newsroom("serve", store_url, config, clock, slack, allow_loopback=False) as room:
        reply = await room.slack_command(f"whatsnew {pages.url('/saved')}")
    assert reply["text"] == f"Cannot judge {pages.url('/saved')}: refused: 127.0.0.1 is loopback"
    assert pages.requests == []


# -- one clear line when there is nothing to judge ---------------------------------------


@pytest.mark.parametrize(
    ("body", "fields", "fetch", "error"),
    [
        (b"<rss version='2.0'><channel><title>x</title></channel></rss>", {}, {},
         "not an article: that is a feed (sources add <url> watches it)"),
        (b"<html><body><nav>Home</nav><p>Short.</p></body></html>", {}, {},
         "not an article: no article text found on the page"),
        (SAVED.read_bytes(), {}, {"max_bytes": 2000}, "body over 2000 bytes cap"),
        (SAVED.read_bytes(), {"delay": 1.0}, {"timeout": 0.2}, "timeout after 0.2s"),
        (SAVED.read_bytes(), {"status": 404}, {}, "HTTP 404 Not Found"),
    ],
)  # fmt: skip
async def test_a_page_that_cannot_be_judged_gets_one_line(
    store: Store, config: Config, body: bytes, fields: dict, fetch: dict, error: str
) -> None:
    Pipeline(store, config.topics, pipeline_settings(config)).load_seeds(config.settings.seeds_dir)
    with FeedServer() as server:
        server.set("/page", body, content_type="text/html", **fields)
        async with Fetcher(user_agent="t", guard_allow=["127.0.0.0/8"], **fetch) as fetcher:
            whatsnew = WhatsNew(store, fetcher, lambda: config.topics)
            with pytest.raises(WhatsNewError) as raised:
                await whatsnew.judge_url(server.url("/page"))
    assert str(raised.value) == error
    assert "\n" not in str(raised.value)
