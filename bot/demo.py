"""`newsdelta demo`: the whole spine on bundled sample feeds, no tokens, no internet.

Serves the feeds in bot/demo/ (written by us) from a loopback HTTP server that honours
ETag / If-None-Match, polls them with the real fetcher and pipeline into a temporary SQLite
store that holds the seeds, prints every alert on the console, polls again to show the
conditional GETs answered 304, prints one line of counts, and ends by naming the HTML file it
wrote: each topic's "what we know" page, self-contained (bot.web.export), which every
console alert links to.

The sample items are dated 2025, so the demo lifts the first-poll age limit that normally
keeps a new feed's backlog silent.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from watchers.models import FeedSource
from watchers.pipeline import Pipeline
from watchers.store import Store

from .config import Config
from .delivery import Deliverer
from .platforms.console import ConsolePlatform
from .runtime import fetcher_for, pipeline_settings
from .web.export import write_topic_file

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_FEEDS = {
    "wire.xml": "Demo Wire",
    "gulf.xml": "Gulf Daily Demo",
    "eurasia.xml": "Eurasia Monitor Demo",
    "markets.xml": "Markets Demo",
}
TEN_YEARS = 10 * 365 * 86_400


def page_file(config: Config, topic: str) -> Path:
    """Where the demo writes a topic's page: beside the data, replaced on every run."""
    return (config.settings.data_dir / f"what-we-know-{topic}.html").resolve()


def _feed_app() -> web.Application:
    async def serve_feed(request: web.Request) -> web.Response:
        path = DEMO_DIR / request.match_info["name"]
        if request.match_info["name"] not in DEMO_FEEDS or not path.is_file():
            raise web.HTTPNotFound()
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    app = web.Application()
    app.router.add_get("/{name}", serve_feed)
    return app


async def run_demo(config: Config) -> int:
    runner = web.AppRunner(_feed_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        feeds = [
            FeedSource(name, f"http://127.0.0.1:{port}/{file}") for file, name in DEMO_FEEDS.items()
        ]
        with tempfile.TemporaryDirectory(prefix="newsdelta-demo-") as tmp:
            store = Store.open(f"sqlite:///{Path(tmp) / 'demo.db'}")
            try:
                return await _demo(store, config, feeds)
            finally:
                store.close()
    finally:
        await runner.cleanup()


async def _demo(store: Store, config: Config, feeds: list[FeedSource]) -> int:
    settings = replace(pipeline_settings(config), first_poll_max_age=TEN_YEARS)
    async with fetcher_for(config) as fetcher:
        pipeline = Pipeline(store, config.topics, settings, fetcher=fetcher, owner="demo")
        seeds = pipeline.load_seeds(config.settings.seeds_dir)
        store.sync_feeds(feeds, pipeline.clock())
        store.subscribe("console", ConsolePlatform.channel, "*", "demo", pipeline.clock())
        print(
            f"newsdelta demo: {seeds} seed articles known; polling {len(feeds)} sample feeds "
            "served on loopback\n"
        )
        first = await pipeline.poll_due()
        delivered = await Deliverer(
            store,
            {"console": ConsolePlatform()},
            owner="demo",
            page_link=lambda d: _anchor(config, d.payload.get("topic"), d.cluster_id),
        ).drain()
        store.make_due()
        second = await pipeline.poll_due()
    for error in first.errors + second.errors:
        print(f"error: {error}")
    print(f"first poll: {first.line()}")
    print(
        f"second poll: {second.not_modified} of {second.feeds} feeds answered 304 Not Modified "
        f"to conditional GETs; {second.alerts} alerts"
    )
    v = first.verdicts
    print(
        f"demo done: {v['new_story']} new stories, {v['new_detail']} new details, "
        f"{v['retelling']} retellings suppressed, {v['off_topic']} off topic, "
        f"{delivered} alerts delivered"
    )
    for topic in config.topics:
        path = write_topic_file(store, topic.name, topic.title, page_file(config, topic.name))
        print(f"what we know, {topic.name}: {path} (one HTML file: open it in a browser)")
    return 0


def _anchor(config: Config, topic: object, cluster_id: int | None) -> str | None:
    if not isinstance(topic, str) or cluster_id is None:
        return None
    return f"{page_file(config, topic).as_uri()}#story-{cluster_id}"
