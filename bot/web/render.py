"""Pages as HTML: Jinja2 templates with autoescaping, and how a page links onward.

`Renderer` holds one Jinja environment (autoescape on for every template: feed text is
always escaped, nothing is marked safe but our own stylesheet). A page links through a
`ServerLinks` (paths on the server, signed with the request's expiry unless public) or a
`FileLinks` (one self-contained file: stories are anchors in it, the stylesheet is inline,
search is left to the server).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .links import Access, story_path, topic_path
from .views import SearchHit, StoryPage, TopicPage

CSS = files("bot.web").joinpath("templates/page.css").read_text(encoding="utf-8")


@dataclass(frozen=True)
class ServerLinks:
    topic_name: str
    access: Access
    searchable: bool = True

    def topic(self, order: str = "", after: int | None = None) -> str:
        return self.access.url(
            topic_path(self.topic_name), order=order, after=str(after) if after else ""
        )

    def story(self, cluster_id: int) -> str:
        return self.access.url(story_path(self.topic_name, cluster_id))

    @property
    def search_action(self) -> str:
        return topic_path(self.topic_name)

    def search_fields(self) -> dict[str, str]:
        return self.access.hidden_fields(topic_path(self.topic_name))


@dataclass(frozen=True)
class FileLinks:
    """Links inside one HTML file holding the whole topic."""

    searchable: bool = False
    search_action: str = ""

    def topic(self, order: str = "", after: int | None = None) -> str:
        return "#timeline"

    def story(self, cluster_id: int) -> str:
        return f"#story-{cluster_id}"

    def search_fields(self) -> dict[str, str]:
        return {}


Links = ServerLinks | FileLinks


class Renderer:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("bot.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def topic(
        self,
        page: TopicPage,
        links: Links,
        *,
        query: str = "",
        hits: list[SearchHit] | None = None,
        full: bool = False,
        inline_css: bool = False,
    ) -> str:
        return self.env.get_template("topic.html").render(
            page=page,
            links=links,
            query=query,
            hits=hits or [],
            full=full,
            page_title=page.title,
            css=Markup(CSS) if inline_css else "",
        )

    def story(self, page: StoryPage, links: Links) -> str:
        return self.env.get_template("story.html").render(
            page=page, links=links, page_title=page.cluster.first.title, css=""
        )

    def refused(self, status: str, reason: str) -> str:
        return self.env.get_template("refused.html").render(
            status=status, reason=reason, page_title=status, css=""
        )
