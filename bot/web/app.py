"""The pages' HTTP side: aiohttp routes, who may read, and the headers every answer carries.

`PageServer(store, topics, signer=…, public=…).routes()` is a route table that can be
mounted beside Slack's endpoint in one aiohttp app, or served alone by `PageSite` (the
`serve web` role). It answers GET on exactly three shapes of path — `/t/<topic>` (the
timeline, `?order=oldest`, `?after=<cluster>`, `?q=<search>`), `/t/<topic>/s/<cluster>`
(one story) and `/assets/page.css` — and 404 on anything else. Unless `public`, a page needs
a valid, unexpired signature (`links.Signer`), checked before anything is looked up: an
unsigned, expired or tampered link gets 403. Every answer sends a strict
Content-Security-Policy (no scripts at all), `nosniff`, no referrer and no caching.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from aiohttp import web

from watchers.store import Store

from . import views
from .links import Access, Signer, story_path, topic_path
from .render import CSS, Renderer, ServerLinks

log = logging.getLogger("newsdelta.web")

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
QUERY_MAX = 200


class PageServer:
    """The "what we know" pages of `topics` (name → title) over one store."""

    def __init__(
        self,
        store: Store,
        topics: Callable[[], Mapping[str, str]],
        *,
        signer: Signer | None,
        public: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if signer is None and not public:
            raise ValueError("pages need a signer unless they are public")
        self.store, self.topics, self.clock = store, topics, clock
        self.signer = None if public else signer
        self.renderer = Renderer()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/t/{topic}", self.topic_page, allow_head=True),
            web.get(r"/t/{topic}/s/{cluster:\d{1,18}}", self.story_page, allow_head=True),
            web.get("/assets/page.css", self.stylesheet, allow_head=True),
        ]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_routes(self.routes())
        return app

    # -- handlers ----------------------------------------------------------------------
    async def stylesheet(self, request: web.Request) -> web.Response:
        return web.Response(text=CSS, content_type="text/css", headers=HEADERS)

    async def topic_page(self, request: web.Request) -> web.Response:
        topic = request.match_info["topic"]
        access = self._access(topic_path(topic), request)
        title = self.topics().get(topic)
        if title is None:
            return self._refuse(404, "Not found", "There is no such topic.")
        order = request.query.get("order", "")
        after = request.query.get("after", "")
        query = request.query.get("q", "").strip()[:QUERY_MAX]
        page = await asyncio.to_thread(
            views.topic_page,
            self.store,
            topic,
            title,
            newest_first=order != "oldest",
            after=int(after) if after.isdigit() else None,
        )
        hits = await asyncio.to_thread(views.search, self.store, topic, query) if query else []
        html = self.renderer.topic(page, ServerLinks(topic, access), query=query, hits=hits)
        return web.Response(text=html, content_type="text/html", headers=HEADERS)

    async def story_page(self, request: web.Request) -> web.Response:
        topic, cluster = request.match_info["topic"], int(request.match_info["cluster"])
        access = self._access(story_path(topic, cluster), request)
        title = self.topics().get(topic)
        page = (
            await asyncio.to_thread(views.story_page, self.store, topic, title, cluster)
            if title is not None
            else None
        )
        if page is None:
            return self._refuse(404, "Not found", "There is no such story in this topic.")
        html = self.renderer.story(page, ServerLinks(topic, access))
        return web.Response(text=html, content_type="text/html", headers=HEADERS)

    # -- access ------------------------------------------------------------------------
    def _access(self, path: str, request: web.Request) -> Access:
        """How this page links onward; raises 403 when the request may not read it."""
        if self.signer is None:
            return Access()
        reason = self.signer.check(path, request.query, self.clock())
        if reason is not None:
            log.info("web: refused %s: %s", path, reason)
            raise web.HTTPForbidden(
                text=self.renderer.refused("403 Forbidden", reason.capitalize() + "."),
                content_type="text/html",
                headers=HEADERS,
            )
        return Access(self.signer, int(request.query["exp"]))

    def _refuse(self, status: int, title: str, reason: str) -> web.Response:
        html = self.renderer.refused(f"{status} {title}", reason)
        return web.Response(status=status, text=html, content_type="text/html", headers=HEADERS)


@asynccontextmanager
async def page_site(
    routes: list[web.RouteDef], host: str = "0.0.0.0", port: int = 3000
) -> AsyncIterator[int]:
    """Serve `routes` alone on host:port until the block ends; yields the bound port."""
    app = web.Application()
    app.router.add_routes(routes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0][1]
        log.info("web: serving the pages on %s:%d", host, bound)
        yield bound
    finally:
        await runner.cleanup()
