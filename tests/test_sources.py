"""`/newsdelta sources …`: feeds added from chat are fetched through the SSRF guard.

Everything dials loopback only. 127.0.0.2 plays "a public news site" (the fetcher's test-only
`guard_allow` lets exactly that address through); 127.0.0.1 plays the internal service a
URL, a spelling of it or a redirect tries to reach — it serves a perfectly good feed, so a
guard that let a request through would make the add succeed and the test fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.messages import Command
from bot.sources import ACTIONS, SourceCommands
from tests.fakes.feed_server import FeedServer
from watchers.fetch import Fetcher
from watchers.models import AliasGroup, FeedSource, Topic
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import PollOutcome, Store

UA = "newsdelta-test/0.1"
NOW = 1_737_300_000.0  # 2025-01-19 15:20 UTC
FEED = b"""<?xml version="1.0"?>
<!-- Tests: a small feed a user adds from chat: three items, one of them from the last day. -->
<rss version="2.0"><channel><title>Caspian Desk</title>
  <item><title>Treaty signed in Moscow</title><link>https://caspian.example/1</link>
    <pubDate>Fri, 17 Jan 2025 12:00:00 +0000</pubDate><description>Signed.</description></item>
  <item><title>Treaty text published</title><link>https://caspian.example/2</link>
    <pubDate>Sat, 18 Jan 2025 09:00:00 +0000</pubDate><description>Text.</description></item>
  <item><title>Duma schedules a vote</title><link>https://caspian.example/3</link>
    <pubDate>Sun, 19 Jan 2025 08:00:00 +0000</pubDate><description>Vote.</description></item>
</channel></rss>"""
HTML = b"""<!DOCTYPE html>
<!-- Tests: a sign-in page pasted where a feed URL was expected. -->
<html><head><title>Sign in</title></head><body><p>Please sign in.</p></body></html>"""


def cmd(args: str, *, may_manage: bool = True, user: str = "U42") -> Command:
    return Command("slack", "C1", user, "sources", args, may_manage)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent=UA, guard_allow=["127.0.0.2/32"]) as f:
        yield f


@pytest.fixture
def sources(store: Store, fetcher: Fetcher) -> SourceCommands:
    return SourceCommands(store, fetcher, max_items=50, clock=lambda: NOW)


@pytest.fixture
async def public() -> AsyncIterator[FeedServer]:
    async with FeedServer("127.0.0.2") as srv:
        srv.set("/feed.xml", FEED)
        srv.set("/signin", HTML, content_type="text/html; charset=utf-8")
        yield srv


@pytest.fixture
async def internal() -> AsyncIterator[FeedServer]:
    async with FeedServer("127.0.0.1") as srv:
        srv.set("/feed.xml", FEED)
        yield srv


async def test_add_fetches_once_through_the_guard_and_stores_a_chat_feed(
    sources: SourceCommands, store: Store, public: FeedServer
) -> None:
    url = public.url("/feed.xml")
    reply = await sources(cmd(f"add {url}"))
    assert reply.title == f"Added Caspian Desk: {url} holds 3 items."
    assert reply.lines[0] == (
        "Its backlog will not be alerted: the first poll records these items as known, "
        "except the 1 published in the last 24 h, which are judged like new items."
    )
    assert len(public.requests) == 1
    [feed] = store.feeds()
    assert (feed["name"], feed["url"], feed["origin"], feed["added_by"]) == (
        "Caspian Desk",
        url,
        "chat",
        "U42",
    )
    assert feed["created_at"] == NOW


async def test_add_takes_a_name_and_unwraps_slack_link_markup(
    sources: SourceCommands, store: Store, public: FeedServer
) -> None:
    url = public.url("/feed.xml")
    reply = await sources(cmd(f"add <{url}|{url}> Caspian wire"))
    assert reply.title.startswith("Added Caspian wire:")
    assert [(f["name"], f["url"]) for f in store.feeds()] == [("Caspian wire", url)]


async def test_adding_a_watched_url_again_says_so_without_fetching(
    sources: SourceCommands, public: FeedServer
) -> None:
    url = public.url("/feed.xml")
    await sources(cmd(f"add {url}"))
    reply = await sources(cmd(f"add {url} Another name"))
    assert reply.title == f"{url} is already watched, as Caspian Desk."
    assert len(public.requests) == 1


@pytest.mark.parametrize(
    ("spelling", "reason"),
    [
        ("http://127.0.0.1:{port}/feed.xml", "refused: 127.0.0.1 is loopback"),
        ("http://127.1:{port}/feed.xml", "refused: 127.0.0.1 is loopback"),
        ("http://2130706433:{port}/feed.xml", "refused: 127.0.0.1 is loopback"),
        ("http://0x7f.1:{port}/feed.xml", "refused: 127.0.0.1 is loopback"),
        (
            "http://[::ffff:127.0.0.1]:{port}/feed.xml",
            "refused: ::ffff:7f00:1 is IPv4-mapped loopback",
        ),
        ("http://localhost:{port}/feed.xml", "is loopback"),
        ("ftp://127.0.0.2/feed.xml", "only http:// and https:// feeds can be added, not 'ftp:'"),
        ("javascript:alert(1)", "only http:// and https:// feeds can be added, not 'javascript:'"),
        ("caspian.example/feed.xml", "and this URL has no scheme"),
    ],
)
async def test_add_refuses_what_is_not_a_public_http_url_with_the_reason(
    sources: SourceCommands, store: Store, internal: FeedServer, spelling: str, reason: str
) -> None:
    url = spelling.format(port=internal.port)
    reply = await sources(cmd(f"add {url}"))
    assert reply.title.startswith("Cannot add ") and reason in reply.title
    assert "\n" not in reply.text
    assert internal.requests == []
    assert store.feeds() == []


async def test_add_refuses_an_allowed_host_that_redirects_to_loopback(
    sources: SourceCommands, store: Store, public: FeedServer, internal: FeedServer
) -> None:
    public.set("/moved.xml", redirect=internal.url("/feed.xml"))
    reply = await sources(cmd(f"add {public.url('/moved.xml')}"))
    assert reply.title.endswith(": refused: 127.0.0.1 is loopback.")
    assert [seen.path for seen in public.requests] == ["/moved.xml"]
    assert internal.requests == []
    assert store.feeds() == []


async def test_add_refuses_a_page_that_is_not_a_feed(
    sources: SourceCommands, store: Store, public: FeedServer
) -> None:
    url = public.url("/signin")
    reply = await sources(cmd(f"add {url}"))
    assert reply.title == f"Cannot add {url}: not a feed: text/html page."
    assert store.feeds() == []


async def test_add_refuses_an_http_error_with_the_status(
    sources: SourceCommands, store: Store, public: FeedServer
) -> None:
    url = public.url("/gone.xml")
    reply = await sources(cmd(f"add {url}"))
    assert reply.title == f"Cannot add {url}: HTTP 404 Not Found."
    assert store.feeds() == []


async def test_add_refuses_a_name_another_feed_already_has(
    sources: SourceCommands, store: Store, public: FeedServer
) -> None:
    store.sync_feeds([FeedSource("Caspian Desk", "https://operator.example/rss")], NOW)
    url = public.url("/feed.xml")
    reply = await sources(cmd(f"add {url}"))
    assert reply.title == (
        f"A feed is already named 'Caspian Desk'; give this one another name: "
        f"sources add {url} <name>"
    )
    assert [f["origin"] for f in store.feeds()] == ["config"]


@pytest.mark.parametrize("action", ["add {url}", "remove Wire", "pause Wire", "resume Wire"])
async def test_users_who_may_not_manage_change_nothing(
    sources: SourceCommands, store: Store, public: FeedServer, action: str
) -> None:
    store.add_feed(FeedSource("Wire", "https://wire.example/rss", origin="chat"), "U1", NOW)
    before = store.feeds()
    reply = await sources(cmd(action.format(url=public.url("/feed.xml")), may_manage=False))
    verb = action.split()[0]
    assert reply.title == f"You are not allowed to {verb} sources here; ask a channel manager."
    assert public.requests == []
    assert store.feeds() == before


async def test_anyone_may_list(sources: SourceCommands, store: Store) -> None:
    store.sync_feeds([FeedSource("Operator Wire", "https://operator.example/rss")], NOW)
    reply = await sources(cmd("list", may_manage=False))
    assert reply.title == "1 feeds"
    assert reply.lines == (
        "Operator Wire — https://operator.example/rss — config — active — not polled yet",
    )


async def test_list_shows_origin_who_added_it_and_health(
    sources: SourceCommands, store: Store
) -> None:
    store.sync_feeds([FeedSource("Operator Wire", "https://operator.example/rss")], NOW)
    store.add_feed(
        FeedSource("Caspian Desk", "https://caspian.example/rss", origin="chat"), "U7", NOW
    )
    ids = {f["name"]: f["id"] for f in store.feeds()}
    store.finish_poll(ids["Operator Wire"], "w", PollOutcome(True, NOW + 600), NOW)
    store.finish_poll(ids["Caspian Desk"], "w", PollOutcome(True, NOW + 600), NOW)
    for n in (1, 2):
        outcome = PollOutcome(False, NOW + 900, error="HTTP 503 Service Unavailable")
        store.finish_poll(ids["Caspian Desk"], "w", outcome, NOW + 600 * n)
    reply = await sources(cmd("list"))
    assert reply.lines == (
        "Caspian Desk — https://caspian.example/rss — chat, added by U7 — active — failing 2 "
        "times, last error: HTTP 503 Service Unavailable — last success 2025-01-19 15:20 UTC",
        "Operator Wire — https://operator.example/rss — config — active — ok — "
        "last success 2025-01-19 15:20 UTC",
    )


async def test_remove_takes_only_feeds_added_from_chat(
    sources: SourceCommands, store: Store
) -> None:
    store.sync_feeds([FeedSource("Operator Wire", "https://operator.example/rss")], NOW)
    store.add_feed(
        FeedSource("Caspian Desk", "https://caspian.example/rss", origin="chat"), "U7", NOW
    )

    refused = await sources(cmd("remove Operator Wire"))
    assert refused.title.startswith("Operator Wire comes from the configuration: it belongs to")
    refused = await sources(cmd("remove https://operator.example/rss"))
    assert "belongs to the operator" in refused.title
    unknown = await sources(cmd("remove Gulf Wire"))
    assert unknown.choices == ("Caspian Desk",)
    assert [f["name"] for f in store.feeds()] == ["Caspian Desk", "Operator Wire"]

    removed = await sources(cmd("remove <https://caspian.example/rss>"))
    assert removed.title == (
        "Removed Caspian Desk (https://caspian.example/rss); its stories stay known."
    )
    assert [f["name"] for f in store.feeds()] == ["Operator Wire"]


async def test_pause_and_resume_show_in_the_list_and_decide_what_is_polled(
    sources: SourceCommands, store: Store
) -> None:
    store.sync_feeds([FeedSource("Operator Wire", "https://operator.example/rss")], NOW)
    store.add_feed(
        FeedSource("Caspian Desk", "https://caspian.example/rss", origin="chat"), "U7", NOW
    )

    reply = await sources(cmd("pause Caspian Desk"))
    assert (
        reply.title == "Paused Caspian Desk: it is not polled until `sources resume Caspian Desk`."
    )
    assert "— chat, added by U7 — paused —" in (await sources(cmd("list"))).lines[0]
    assert (await sources(cmd("pause Caspian Desk"))).title == "Caspian Desk was already paused."
    leased = store.lease_due_feeds("watcher", NOW, 10, 60)
    assert [f["name"] for f in leased] == ["Operator Wire"]

    reply = await sources(cmd("resume https://caspian.example/rss"))
    assert reply.title == "Resumed Caspian Desk: it is polled again from its next check."
    assert "— chat, added by U7 — active —" in (await sources(cmd("list"))).lines[0]
    leased = store.lease_due_feeds("watcher", NOW + 120, 10, 60)
    assert sorted(f["name"] for f in leased) == ["Caspian Desk", "Operator Wire"]


async def test_pause_of_an_unknown_feed_lists_the_feeds(
    sources: SourceCommands, store: Store
) -> None:
    store.sync_feeds([FeedSource("Operator Wire", "https://operator.example/rss")], NOW)
    reply = await sources(cmd("pause Gulf Wire"))
    assert (reply.title, reply.choices) == (
        "No feed has the URL or name 'Gulf Wire'.",
        ("Operator Wire",),
    )


@pytest.mark.parametrize("args", ["", "delete Wire", "ls"])
async def test_anything_else_answers_the_usage_with_the_valid_actions(
    sources: SourceCommands, args: str
) -> None:
    reply = await sources(cmd(args))
    assert reply.choices == ACTIONS
    assert "sources list | add <url> [name] | remove <url or name>" in reply.title


async def test_a_missing_argument_answers_the_usage_of_that_action(
    sources: SourceCommands,
) -> None:
    assert (await sources(cmd("add"))).title == "Usage: sources add <url> [name]"
    assert (await sources(cmd("pause "))).title == "Usage: sources pause <url or name>"


async def test_every_poll_of_a_chat_feed_passes_the_guard(
    store: Store, fetcher: Fetcher, internal: FeedServer
) -> None:
    """However a chat feed's URL came to point inside (DNS changed, a row edited), polling it
    is refused and counted as a failure; the operator's own feed on the same host is polled."""
    internal.set("/operator.xml", FEED)
    store.sync_feeds([FeedSource("Operator Wire", internal.url("/operator.xml"))], NOW)
    sneaky = internal.url("/feed.xml")
    store.add_feed(FeedSource("Sneaky", sneaky, origin="chat"), "U7", NOW)
    topic = Topic("russia-iran", "Russia–Iran treaty", (AliasGroup("treaty", ("treaty",)),))
    pipeline = Pipeline(store, [topic], PipelineSettings(), fetcher=fetcher, clock=lambda: NOW)

    report = await pipeline.poll_due()

    assert (report.feeds, report.failed) == (2, 1)
    assert report.errors == [f"feed 'Sneaky' ({sneaky}): refused: 127.0.0.1 is loopback"]
    assert [seen.path for seen in internal.requests] == ["/operator.xml"]
    feeds = {f["name"]: f for f in store.feeds()}
    assert (feeds["Sneaky"]["failures"], feeds["Sneaky"]["last_error"]) == (
        1,
        "refused: 127.0.0.1 is loopback",
    )
    assert (feeds["Operator Wire"]["failures"], feeds["Operator Wire"]["successes"]) == (0, 1)
