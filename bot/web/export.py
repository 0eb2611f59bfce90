"""One self-contained HTML file of a topic's page (the demo writes it): no server, no assets.

Every cluster of the topic (up to `limit`), with its alerts, the conflicts and the chart, in
one file: the stylesheet inline, the chart inline SVG, stories as anchors in the file.
"""

from __future__ import annotations

from pathlib import Path

from watchers.store import Store

from . import views
from .render import FileLinks, Renderer


def write_topic_file(store: Store, topic: str, title: str, path: Path, *, limit: int = 500) -> Path:
    page = views.topic_page(store, topic, title, newest_first=False, limit=limit)
    for cluster in page.clusters:
        story = views.story_page(store, topic, title, cluster.id)
        cluster.alerts = story.cluster.alerts if story else []
    html = Renderer().topic(page, FileLinks(), full=True, inline_css=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
