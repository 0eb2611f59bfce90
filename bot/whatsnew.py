"""`whatsnew <url>`: does this article say anything we do not know yet? Nothing is recorded.

`WhatsNew(store, fetcher, topics, settings)`:
- `await whatsnew.judge_url(url)` fetches the page through the fetcher with the SSRF guard
  (`guard=True`: the same timeout, size cap and address checks as a feed added from chat),
  `judge_page(body, url)` takes a page already read (`newsdelta whatsnew --file`);
- the article text is extracted from the HTML with trafilatura (title, text, site name,
  date; navigation, boxes and footers left out), made a `Story`, and judged by
  `Pipeline.assess` against the live store — the same topics and verdict as a poll — with no
  write: no story, fact, alert or delivery is recorded;
- the answer is a `Reply`: "Nothing new — retells Reuters (2025-01-17): 9 of 9 facts known",
  or the new facts quoted as in an alert (each with its source; a conflict names the known
  fact), or a new story with its summary, or "off topic" with the reason;
- trouble is one line in a `WhatsNewError`: refused address, timed out, too large, HTTP
  error, not an article. As a command handler (`await whatsnew(cmd)`) it answers that line.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import trafilatura

from watchers.canonical import story_key
from watchers.fetch import Fetcher
from watchers.models import Judgement, Story, Topic, Verdict
from watchers.payload import alert_payload
from watchers.pipeline import Pipeline, PipelineSettings
from watchers.store import Store

from . import alerts
from .messages import Command, Reply

MIN_ARTICLE_CHARS = 200  # less extracted text than this is not an article
_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|[^<>]*)?>")
_FEED_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", re.S)


class WhatsNewError(ValueError):
    """The page could not be judged; the message is one line saying why."""


@dataclass(frozen=True)
class Article:
    title: str
    text: str
    source: str
    published: datetime | None


def extract_article(body: bytes, url: str | None) -> Article:
    """The article in an HTML page, or `WhatsNewError` when there is none."""
    if _FEED_START.match(body[:4096]):
        raise WhatsNewError("not an article: that is a feed (sources add <url> watches it)")
    if b"\x00" in body[:4096] or body.lstrip()[:5] == b"%PDF-":
        raise WhatsNewError("not an article: not an HTML page")
    doc = trafilatura.bare_extraction(
        body, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = (doc.text or "").strip() if doc is not None else ""
    if len(text) < MIN_ARTICLE_CHARS:
        raise WhatsNewError("not an article: no article text found on the page")
    assert doc is not None
    title = (doc.title or "").strip()
    lines = text.splitlines()
    if title and lines and lines[0].strip() == title:  # the headline, repeated as a heading
        text = "\n".join(lines[1:]).strip()
    host = urlsplit(url).hostname if url else None
    published = None
    if doc.date:
        try:
            published = datetime.fromisoformat(doc.date).replace(tzinfo=UTC)
        except ValueError:
            published = None
    return Article(title or "(untitled)", text, doc.sitename or host or "the page", published)


def _known_line(judgement: Judgement) -> str:
    total = len(judgement.facts)
    known = sum(not f.is_new for f in judgement.facts)
    dup = judgement.duplicate_of
    if dup is None:
        return f"Nothing new: {known} of {total} facts known"
    day = f" ({dup.published.date().isoformat()})" if dup.published else ""
    return f"Nothing new — retells {dup.source}{day}: {known} of {total} facts known"


def answer(story: Story, judgement: Judgement) -> Reply:
    """The reply for a page judged `judgement`."""
    if judgement.verdict == Verdict.OFF_TOPIC:
        return Reply("Off topic: that page is about none of the topics watched here.", (
            judgement.why,
        ))  # fmt: skip
    if judgement.verdict == Verdict.RETELLING:
        dup = judgement.duplicate_of
        seen = (f"Known story: {dup.label}",) if dup and dup.label.startswith("http") else ()
        return Reply(_known_line(judgement), (*seen, f"why: {judgement.why}"))
    topic = judgement.topics[0]
    message = alerts.render("alert", alert_payload(story, judgement, topic))
    label = "New story" if judgement.verdict == Verdict.NEW_STORY else "New detail"
    body = message.plain_text().splitlines()[1:]
    return Reply(f"{label}: {message.headline}", tuple(line.rstrip() for line in body))


class WhatsNew:
    def __init__(
        self,
        store: Store,
        fetcher: Fetcher | None,
        topics: Callable[[], Sequence[Topic]],
        settings: PipelineSettings | None = None,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.topics = topics
        self.settings = settings or PipelineSettings()

    async def __call__(self, cmd: Command) -> Reply:
        url = _unwrap(cmd.args)
        if not url:
            return Reply("Usage: whatsnew <url> — is there anything new in that article?")
        try:
            return await self.judge_url(url)
        except WhatsNewError as exc:
            return Reply(f"Cannot judge {url}: {exc}")

    async def judge_url(self, url: str) -> Reply:
        if self.fetcher is None:
            raise WhatsNewError("fetching pages is not enabled here")
        result = await self.fetcher.fetch(url, guard=True)
        if result.status != "ok" or result.body is None:
            raise WhatsNewError(result.error or "no page came back")
        return await self.judge_page(result.body, result.url or url)

    async def judge_page(self, body: bytes, url: str | None) -> Reply:
        return await asyncio.to_thread(self._judge, body, url)

    def _judge(self, body: bytes, url: str | None) -> Reply:
        article = extract_article(body, url)
        story = Story(
            key=story_key(None, url, article.title, article.text),
            title=article.title,
            text=article.text,
            source=article.source,
            link=url if url and url.startswith(("http://", "https://")) else None,
            published=article.published,
        )
        seen = self.store.story_id(story.key)
        if seen is not None:
            [known] = self.store.stories([seen])
            day = f" ({known.published.date().isoformat()})" if known.published else ""
            return Reply(f"Nothing new — that page is a story already known: {known.source}{day}")
        pipeline = Pipeline(self.store, self.topics(), self.settings)
        return answer(story, pipeline.assess(story, self.store))


def _unwrap(text: str) -> str:
    """A URL without Slack's link markup (`<url>`, `<url|label>`)."""
    match = _SLACK_LINK.fullmatch(text.strip())
    return match.group(1) if match else text.strip()
