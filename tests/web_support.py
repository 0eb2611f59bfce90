"""What the "what we know" tests share: a store that has read the demo's feeds, stories
with hostile titles, and a page server on a loopback port.

`read_demo_feeds` runs the bundled demo feeds (bot/demo/*.xml) through the real parser and
pipeline, in published order, into a store holding the seeds, with one console channel
subscribed — so there are seeds, retellings, new details, a new story and the demo's
conflicting vote count (198 votes to 11 at the wire, 197 at the Gulf daily).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.demo import DEMO_DIR, DEMO_FEEDS
from bot.web.app import PageServer, page_site
from bot.web.links import Signer
from watchers.engine.facts import fact_records, story_keys
from watchers.models import Judgement, Story, Verdict
from watchers.parse import parse_feed
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store

TOPIC = "russia-iran"
SECRET = "test-web-secret-not-a-real-one"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "hostile"
MARKUP_TITLE = (
    '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'
    "Russia & Iran <b>treaty</b> \"signed\" <a href='javascript:alert(1)'>here</a>"
)


def read_demo_feeds(store: Store, config: Config) -> Pipeline:
    pipeline = Pipeline(store, config.topics, PipelineSettings())
    pipeline.load_seeds(config.settings.seeds_dir)
    store.subscribe("console", "stdout", "*", "test", time.time())
    stories = [
        story
        for file, name in DEMO_FEEDS.items()
        for story in parse_feed(
            (DEMO_DIR / file).read_bytes(), feed_url=f"https://demo.example/{file}", source=name
        ).stories
    ]
    oldest = datetime.min.replace(tzinfo=UTC)
    for story in sorted(stories, key=lambda s: s.published or oldest):
        pipeline.ingest(story, feed_id=None, alert=True)
    return pipeline


def record_titled(store: Store, title: str, n: int, source: str = "Hostile Feed") -> int:
    """A new story of the topic with this headline (and a body on the topic); its id."""
    story = Story(
        key=f"hostile-{n}",
        title=title,
        text=f"{title}. Iran and Russia discussed item {n} of their partnership treaty.",
        source=source,
        link=f"https://hostile.example/{n}",
        published=datetime(2025, 5, 1 + n % 27, tzinfo=UTC),
    )
    judgement = Judgement(
        verdict=Verdict.NEW_STORY,
        topics=(TOPIC,),
        why="test",
        facts=fact_records(story),
        story_keys=story_keys(story),
    )
    with store.db.transaction():
        sid, _ = store.record_story(
            story, judgement, feed_id=None, label=story.key, alerts=[], now=time.time()
        )
    return sid


def hostile_titles() -> list[str]:
    """Every item title of the hostile corpus feeds that parse, plus markup of our own."""
    titles = [MARKUP_TITLE]
    for name in ("mention_injection.xml", "dates_future_and_naive.xml", "no_guid_no_link.xml"):
        parsed = parse_feed(
            (CORPUS / name).read_bytes(), feed_url=f"https://h.example/{name}", source=name
        )
        titles += [s.title for s in parsed.stories if s.title]
    return titles


def page_server(store: Store, config: Config, *, public: bool = False) -> PageServer:
    titles = {t.name: t.title for t in config.topics}
    return PageServer(store, lambda: titles, signer=Signer(SECRET), public=public)


@asynccontextmanager
async def serving(server: PageServer) -> AsyncIterator[str]:
    """The pages on a loopback port; yields the base URL."""
    async with page_site(server.routes(), host="127.0.0.1", port=0) as port:
        yield f"http://127.0.0.1:{port}"
