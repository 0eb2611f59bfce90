"""How the composition root serves the pages and links alerts to them.

`page_server(store, config, secrets)` is the `PageServer` for `[web]` (None when no
`base_url` is configured); `alert_links(config, secrets)` gives delivery the function that
turns an alert into its story's signed link; `serve_alone` starts the pages on `$PORT`
unless Slack's HTTP endpoint already mounted them — one HTTP server per process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack

from watchers.store import Delivery, Store

from ..config import Config, ConfigError, Secrets
from .app import PageServer, page_site
from .links import PageLinks, Signer


def _signer(config: Config, secrets: Secrets) -> Signer | None:
    if config.web.public:
        return None
    if not secrets.web_secret:
        raise ConfigError(
            f"{config.path}: web: expected NEWSDELTA_WEB_SECRET in the environment (pages "
            "are opened by signed links) or public = true, found neither"
        )
    return Signer(secrets.web_secret)


def page_server(store: Store, config: Config, secrets: Secrets) -> PageServer | None:
    if not config.web.base_url:
        return None
    titles = {t.name: t.title for t in config.topics}
    return PageServer(
        store, lambda: titles, signer=_signer(config, secrets), public=config.web.public
    )


def alert_links(
    config: Config, secrets: Secrets, clock: Callable[[], float] = time.time
) -> Callable[[Delivery], str | None] | None:
    """An alert's link to its story's page, signed for `[web] link_days`; None: no pages."""
    if not config.web.base_url:
        return None
    links = PageLinks(config.web.base_url, _signer(config, secrets), config.web.link_days)

    def link(delivery: Delivery) -> str | None:
        topic = delivery.payload.get("topic")
        if not isinstance(topic, str) or delivery.cluster_id is None:
            return None
        return links.story(topic, delivery.cluster_id, clock())

    return link


async def serve_alone(
    stack: AsyncExitStack, pages: PageServer | None, platforms: Mapping[str, object]
) -> int | None:
    """Serve the pages on $PORT (default 3000) unless Slack's HTTP app already has them;
    returns the port bound, or None."""
    if pages is None or getattr(platforms.get("slack"), "port", None):
        return None
    site = page_site(pages.routes(), port=int(os.environ.get("PORT", "3000")))
    return await stack.enter_async_context(site)
