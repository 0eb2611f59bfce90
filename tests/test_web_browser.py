"""The "what we know" pages in a real browser: Debian's Chromium, headless, driven by
Playwright, loading what the real server serves (and the demo's file).

What a person sees: the timeline in order, a conflict marked, the chart drawn, search
narrowing the list, a signed link opening and an unsigned or expired one refused, a feed
title full of markup shown as text with nothing executed, the page usable at phone width.
Pages are read with JavaScript off (they must not need it), except where a check has to
run a script of its own. The demo's page is saved as docs/web-page.png for the README.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from bot.config import Config
from bot.demo import page_file, run_demo
from bot.web.links import Signer, story_path, topic_path
from tests.web_support import (
    MARKUP_TITLE,
    SECRET,
    TOPIC,
    hostile_titles,
    page_server,
    read_demo_feeds,
    record_titled,
    serving,
)
from watchers.store import Store

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "web-page.png"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="the browser tests need Debian's Chromium: apt-get install chromium",
)


def signed(path: str, expires: float | None = None) -> str:
    query = Signer(SECRET).query(path, int(expires or time.time() + 3600))
    return f"{path}?exp={query['exp']}&sig={query['sig']}"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def site(tmp_path: Path, config: Config) -> AsyncIterator[str]:
    """The pages of a store that has read the demo's feeds, served on loopback."""
    store = Store.open(f"sqlite:///{tmp_path / 'web.db'}")
    try:
        read_demo_feeds(store, config)
        async with serving(page_server(store, config)) as base:
            yield base
    finally:
        store.close()


async def test_the_timeline_reads_in_order_either_way(browser: Browser, site: str) -> None:
    page = await (await browser.new_context(java_script_enabled=False)).new_page()
    await page.goto(site + signed(topic_path(TOPIC)) + "&order=oldest")
    oldest = await page.locator("li.cluster > .meta time").all_inner_texts()
    await page.get_by_role("link", name="newest first").click()
    newest = await page.locator("li.cluster > .meta time").all_inner_texts()
    assert oldest == sorted(oldest) and len(oldest) >= 3
    assert newest == sorted(newest, reverse=True)
    assert await page.locator("li.cluster").first.locator("h3").inner_text() == (
        "Russia and Iran to hold joint naval exercise in the Caspian Sea"
    )


async def test_a_conflict_is_shown_side_by_side_and_marked(browser: Browser, site: str) -> None:
    page = await (await browser.new_context(java_script_enabled=False)).new_page()
    await page.goto(site + signed(topic_path(TOPIC)))
    pair = page.locator("#conflicts .pair.conflict").first
    await pair.wait_for()
    assert "vote differs" in await pair.locator(".note").inner_text()
    earlier, later = pair.locator(".side.earlier"), pair.locator(".side.later")
    assert await earlier.locator("mark").inner_text() == "198 votes to 11"
    assert await later.locator("mark").inner_text() == "197 votes to 11"
    assert "Demo Wire" in await earlier.inner_text()
    assert "Gulf Daily Demo" in await later.inner_text()
    left, right = await earlier.bounding_box(), await later.bounding_box()
    assert left and right and left["x"] + left["width"] <= right["x"]  # side by side


async def test_the_coverage_chart_is_drawn_without_javascript(browser: Browser, site: str) -> None:
    page = await (await browser.new_context(java_script_enabled=False)).new_page()
    await page.goto(site + signed(topic_path(TOPIC)))
    chart = page.locator("#coverage svg").first
    box = await chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100
    assert await chart.locator("rect.bar").count() >= 3 * 5  # three series, five days
    caption = await page.locator("#coverage figcaption").inner_text()
    assert "retellings suppressed" in caption and "new facts" in caption


async def test_search_narrows_the_list(browser: Browser, site: str) -> None:
    page = await (await browser.new_context(java_script_enabled=False)).new_page()
    await page.goto(site + signed(topic_path(TOPIC)))
    everything = await page.locator("li.fact-item").count()
    await page.get_by_role("searchbox", name="search the facts").fill("abstentions")
    await page.get_by_role("button", name="Search").click()
    hits = page.locator("#search li.hit")
    await hits.first.wait_for()
    texts = await hits.all_inner_texts()
    assert 0 < len(texts) < everything
    assert all("abstention" in text for text in texts)


async def test_a_signed_link_opens_and_others_are_refused(browser: Browser, site: str) -> None:
    page = await (await browser.new_context(java_script_enabled=False)).new_page()
    opened = await page.goto(site + signed(story_path(TOPIC, 2)))
    assert opened and opened.status == 200
    assert "Alerts sent for this story" in await page.inner_text("main")
    await page.get_by_role("link", name="What we know").click()  # onward links stay signed
    assert await page.locator("li.cluster").count() >= 3
    for url, reason in [
        (story_path(TOPIC, 2), "needs a signed link"),
        (signed(story_path(TOPIC, 2), time.time() - 60), "has expired"),
        (signed(story_path(TOPIC, 1)).replace("/s/1?", "/s/2?"), "does not match"),
    ]:
        refused = await page.goto(site + url)
        assert refused and refused.status == 403
        assert reason in await page.inner_text("main")


async def test_a_title_full_of_markup_is_shown_as_text(
    browser: Browser, tmp_path: Path, config: Config
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'hostile.db'}")
    try:
        for n, title in enumerate(hostile_titles()):
            record_titled(store, title, n)
        async with serving(page_server(store, config)) as base:
            page = await (await browser.new_context()).new_page()  # scripts on: none may run
            dialogs: list[str] = []
            page.on("dialog", lambda d: dialogs.append(d.message))
            await page.goto(base + signed(topic_path(TOPIC)))
            headings = await page.locator("li.cluster h3").all_inner_texts()
            title = await page.title()
            images = await page.locator("main img").count()
            scripts = await page.locator("script").count()
    finally:
        store.close()
    assert MARKUP_TITLE in headings  # every character shown, as text
    assert title.startswith("Russia–Iran") and "pwned" not in title
    assert images == 0 and scripts == 0 and dialogs == []


async def test_the_page_is_usable_at_phone_width(browser: Browser, site: str) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = await context.new_page()
    await page.goto(site + signed(topic_path(TOPIC)))
    overflow = await page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 375  # nothing forces sideways scrolling
    pair = page.locator("#conflicts .pair.conflict").first
    earlier = await pair.locator(".side.earlier").bounding_box()
    later = await pair.locator(".side.later").bounding_box()
    assert earlier and later and later["y"] >= earlier["y"] + earlier["height"]  # stacked
    search = await page.get_by_role("searchbox", name="search the facts").bounding_box()
    assert search and search["width"] > 120


async def test_the_demos_page_opens_from_its_file(
    browser: Browser, tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_config = replace(config, settings=replace(config.settings, data_dir=tmp_path))
    assert await run_demo(demo_config) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    path = page_file(demo_config, TOPIC)
    assert str(path) in last and path.is_file()
    page = await (
        await browser.new_context(
            java_script_enabled=False, viewport={"width": 1000, "height": 1500}
        )
    ).new_page()
    await page.goto(path.as_uri())
    assert await page.locator("li.cluster").count() == 3  # two seeds' events, one new story
    assert await page.locator(".badge.seed").count() > 0
    assert "repeated by" in await page.locator("li.cluster").first.inner_text()
    assert await page.locator("#conflicts mark").count() == 2
    assert await page.locator("#coverage svg rect.bar").count() > 0
    assert await page.locator('link[rel="stylesheet"], script, img').count() == 0  # one file
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT))  # the top: chart, conflict, first stories
