"""The "what we know" pages over HTTP, on SQLite and PostgreSQL: what they show, who may
read them, and that nothing else of the store is reachable.

The store has read the demo's feeds (tests/web_support.py): two seeds, their retellings, two
ratification details that disagree on the vote, a new story. Requests go to the real aiohttp
server on a loopback port.
"""

from __future__ import annotations

import html
import time
from dataclasses import replace

import aiohttp
import pytest

from bot.config import Config, Secrets, WebSettings
from bot.delivery import Deliverer
from bot.web.links import Signer, story_path, topic_path
from bot.web.serving import alert_links
from tests.fakes.recording_platform import RecordingPlatform
from tests.web_support import (
    SECRET,
    TOPIC,
    hostile_titles,
    page_server,
    read_demo_feeds,
    record_titled,
    serving,
)
from watchers.store import Store


def signed(path: str, expires: float | None = None) -> str:
    exp = int(expires if expires is not None else time.time() + 3600)
    query = Signer(SECRET).query(path, exp)
    return f"{path}?exp={query['exp']}&sig={query['sig']}"


async def get(base: str, path: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(base + path) as response:
        return response.status, await response.text(), dict(response.headers)


@pytest.fixture
def demo(store: Store, config: Config) -> Store:
    read_demo_feeds(store, config)
    return store


async def test_the_topic_page_shows_facts_by_story_with_sources_repeats_and_a_conflict(
    demo: Store, config: Config
) -> None:
    async with serving(page_server(demo, config)) as base:
        status, body, headers = await get(base, signed(topic_path(TOPIC)))
    assert status == 200
    text = html.unescape(body)
    assert "Russia–Iran comprehensive strategic partnership treaty" in text
    assert "Putin and Pezeshkian sign 20-year treaty in Moscow" in text  # a seed, marked
    assert '<span class="badge seed">seed</span>' in body
    assert "Russia's State Duma voted 412 to 3" in text  # a new detail, quoted
    assert "repeated by 2 outlets in 3 stories, first by" in text
    # the conflict: both facts, attributed, the differing values marked, never merged
    assert "vote differs" in text
    assert "<mark>198 votes to 11</mark>" in text and "<mark>197 votes to 11</mark>" in text
    assert "Demo Wire" in text and "Gulf Daily Demo" in text
    assert "<svg" in body and 'class="bar"' in body  # the coverage chart, server-drawn
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")


async def test_stories_come_newest_first_or_oldest_first(demo: Store, config: Config) -> None:
    path = topic_path(TOPIC)
    async with serving(page_server(demo, config)) as base:
        _, newest, _ = await get(base, signed(path))
        _, oldest, _ = await get(base, signed(path) + "&order=oldest")
    caspian, seed = "Caspian Sea", "Putin and Pezeshkian sign 20-year treaty"
    assert newest.index(caspian) < newest.index(seed)
    assert oldest.index(seed) < oldest.index(caspian)


async def test_search_narrows_to_the_facts_that_match(demo: Store, config: Config) -> None:
    async with serving(page_server(demo, config)) as base:
        _, body, _ = await get(base, signed(topic_path(TOPIC)) + "&q=abstentions")
    hits = body.split('<ul class="facts hits">')[1].split("</ul>")[0].split('<li class="hit">')[1:]
    assert len(hits) == 3  # the Duma's vote, the parliament's at the wire and at the Gulf daily
    assert all("abstention" in hit for hit in hits)
    assert "198 votes to 11" in hits[0] + hits[1] and "197 votes to 11" in hits[0] + hits[1]


async def test_an_alert_links_to_its_story_page_with_its_details_and_alerts(
    demo: Store, config: Config
) -> None:
    chat = RecordingPlatform(name="console")
    async with serving(page_server(demo, config)) as base:
        web = replace(config, web=WebSettings(base_url=base + "/", link_days=7))
        links = alert_links(web, Secrets(web_secret=SECRET))
        await Deliverer(demo, {"console": chat}, page_link=links).drain()
        gulf = next(s.message for s in chat.sent if "Iranian lawmakers" in s.message.headline)
        assert gulf.page is not None and gulf.page.startswith(base + "/t/russia-iran/s/")
        assert f"what we know: {gulf.page}" in gulf.plain_text()  # the console line
        status, body, _ = await get(base, gulf.page.removeprefix(base))
    text = html.unescape(body)
    assert status == 200
    duma, wire, gulf_at = (
        text.index("State Duma ratifies"),
        text.index("Iran's parliament ratifies"),
        text.index("Iranian lawmakers approve"),
    )
    assert duma < wire < gulf_at  # the new details in the order they arrived
    assert "Alerts sent for this story" in text
    assert "new detail: Iranian lawmakers approve 20-year pact with Russia" in text
    assert "1 channel" in text and "stdout" not in text  # how many channels, never which


@pytest.mark.parametrize(
    "how", ["unsigned", "expired", "tampered signature", "signed for another page"]
)
async def test_a_page_needs_a_valid_signed_link(demo: Store, config: Config, how: str) -> None:
    path = topic_path(TOPIC)
    url = {
        "unsigned": path,
        "expired": signed(path, time.time() - 1),
        "tampered signature": signed(path)[:-1] + ("0" if signed(path)[-1] != "0" else "1"),
        "signed for another page": signed(story_path(TOPIC, 1)).replace(story_path(TOPIC, 1), path),
    }[how]
    async with serving(page_server(demo, config)) as base:
        status, body, headers = await get(base, url)
    assert status == 403
    assert "Putin" not in body and "Content-Security-Policy" in headers


async def test_public_pages_open_without_a_signature(demo: Store, config: Config) -> None:
    async with serving(page_server(demo, config, public=True)) as base:
        status, body, _ = await get(base, topic_path(TOPIC))
    assert status == 200 and "Caspian Sea" in body


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/t",
        "/t/",
        "/feeds",
        "/slack/events",
        "/assets/../config.toml",
        "/assets/%2e%2e/config.toml",
        "/assets/page.css/../../config.toml",
        "/t/russia-iran/feeds",
        "/t/russia-iran/subscriptions",
        "/t/russia-iran/s/not-a-number",
        "/t/russia-iran/s/1/../../../etc/passwd",
        "/static/",
    ],
)
async def test_nothing_but_pages_and_their_stylesheet_is_served(
    demo: Store, config: Config, path: str
) -> None:
    async with serving(page_server(demo, config, public=True)) as base:
        status, body, _ = await get(base, path)
    assert status == 404, (path, status)
    for private in ("demo.example", "stdout", "console", "[newsdelta]"):
        assert private not in body  # no feed address, no channel, no configuration


async def test_the_pages_show_no_feed_subscription_or_channel(demo: Store, config: Config) -> None:
    async with serving(page_server(demo, config, public=True)) as base:
        _, topic, _ = await get(base, topic_path(TOPIC))
        _, story, _ = await get(base, story_path(TOPIC, 2))
        status, _, headers = await get(base, "/assets/page.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    for body in (topic, story):
        assert "https://demo.example/" not in body  # feed URLs stay in the store
        assert "stdout" not in body and "console" not in body  # channels and platforms too


async def test_hostile_titles_are_shown_as_text(store: Store, config: Config) -> None:
    titles = hostile_titles()
    for n, title in enumerate(titles):
        record_titled(store, title, n)
    async with serving(page_server(store, config, public=True)) as base:
        _, body, _ = await get(base, topic_path(TOPIC))
    assert "<script" not in body and "<img" not in body and "<b>" not in body
    assert 'href="javascript:' not in body and "href='javascript:" not in body
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in body
    assert "&lt;@U0123456789&gt;" in body
    assert "Right-to-left override: gnp.exe" in body and "\u202e" not in body
