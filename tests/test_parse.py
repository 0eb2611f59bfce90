"""Parsing feed bytes into clean, bounded stories — or a one-line reason why not.

Fixtures are the `tests/feeds/parse_*` files (each says what it tests in its header);
documents that need odd bytes or sizes are built inline.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from tests.fakes.feed_server import FeedServer
from watchers.parse import MAX_TEXT, MAX_TITLE, parse_feed

FEEDS = Path(__file__).parent / "feeds"
FEED_URL = "http://127.0.0.1/parse/feed.xml"
NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)


def parse(body: bytes, **options):
    return parse_feed(body, feed_url=FEED_URL, source="Fixture Wire", now=NOW, **options)


def parse_fixture(name: str, **options):
    return parse((FEEDS / name).read_bytes(), **options)


def rss(items: str, channel: str = "<title>Inline</title>") -> bytes:
    return f'<rss version="2.0"><channel>{channel}{items}</channel></rss>'.encode()


def test_html_becomes_plain_text_with_paragraphs_on_their_own_lines():
    feed = parse_fixture("parse_html_text.xml")
    (story,) = feed.stories
    assert story.title == "Turnout < 50% as envoys meet again in the capital"
    assert story.text.splitlines() == [
        "The first paragraph ends here.",
        "The second paragraph has bold and a link.",
        "one point",
        "another point",
        "A closing line",
        "after a break & an ampersand.",
    ]
    assert "never shown" not in story.text
    assert "color" not in story.text


def test_feed_title_ttl_source_and_feed_url_are_reported():
    feed = parse_fixture("parse_html_text.xml")
    assert feed.error is None
    assert feed.title == "Parse fixture: HTML to text"
    assert feed.ttl == 30 * 60
    assert {(s.source, s.feed_url) for s in feed.stories} == {("Fixture Wire", FEED_URL)}


def test_only_http_links_survive_and_relative_ones_are_resolved():
    links = {s.title: s.link for s in parse_fixture("parse_links.xml").stories}
    assert links == {
        "Relative": "http://127.0.0.1/stories/relative-1",
        "Script": None,
        "Data": None,
        "Mail": None,
        "Blank": None,
        "Secure": "https://127.0.0.1/stories/secure-1?id=7",
    }


def test_dates_become_utc_naive_ones_are_taken_as_utc_and_the_future_is_clamped():
    published = {s.title: s.published for s in parse_fixture("parse_dates.xml").stories}
    assert published == {
        "With zone": datetime(2025, 1, 17, 11, 30, tzinfo=UTC),
        "RFC 822 without zone": datetime(2025, 1, 17, 9, 15, tzinfo=UTC),
        "ISO without zone": datetime(2025, 1, 17, 10, 45, tzinfo=UTC),
        "Far future": NOW,
        "Garbage": None,
    }


def test_items_without_guids_get_stable_url_or_content_keys():
    first = parse_fixture("parse_no_guids.xml").stories
    again = parse_fixture("parse_no_guids.xml").stories
    keys = [s.key for s in first]
    assert keys == [s.key for s in again]
    assert keys[0] == "url:https://127.0.0.1/parse/noguid/story?id=4"
    assert keys[1].startswith("hash:") and keys[2].startswith("hash:")
    assert len(set(keys)) == 3  # same headline, different text: different keys
    assert len(first) == 3  # the empty item is skipped


def test_a_reused_id_keeps_both_entries_under_distinct_keys():
    first, second = parse_fixture("parse_shared_guid.xml").stories
    assert first.key == "guid:tag:127.0.0.1,2025:reused"
    assert second.key.startswith("hash:")
    assert [s.key for s in parse_fixture("parse_shared_guid.xml").stories] == [
        first.key,
        second.key,
    ]


def test_atom_content_is_preferred_over_a_shorter_summary_and_links_resolve():
    first, _ = parse_fixture("parse_shared_guid.xml").stories
    assert first.text == "The full text of the first entry.\nIt has two paragraphs."
    assert first.link == "http://127.0.0.1/parse/entries/first"


def test_a_document_declaring_entities_is_rejected_before_parsing():
    feed = parse_fixture("parse_declares_entity.xml")
    assert feed.error == "rejected: document declares entities (entity expansion or XXE risk)"
    assert feed.stories == []


def test_an_entity_declaration_cannot_hide_in_another_encoding():
    text = (FEEDS / "parse_declares_entity.xml").read_text()
    for encoding in ("utf-16", "utf-32", "cp037"):
        declared = f'<?xml version="1.0" encoding="{encoding}"?>\n{text}'.encode(encoding)
        assert parse(declared).error.startswith("rejected:"), encoding
    utf7 = f'<?xml version="1.0" encoding="utf-7"?>\n{text}'.encode().replace(
        b"<!ENTITY", b"+ADwAIQ-ENTITY"
    )
    assert parse(utf7).error.startswith("rejected:")


def test_an_html_page_is_not_a_feed():
    feed = parse_fixture("parse_not_a_feed.html")
    assert feed.error == "not a feed: text/html page"
    assert feed.stories == []


def test_an_empty_body_is_not_a_feed():
    assert parse(b"  \n").error == "not a feed: empty document"


def test_a_document_cut_short_is_an_error_not_half_a_feed():
    whole = (FEEDS / "fetch_small.xml").read_bytes()
    feed = parse(whole[: whole.index(b"<description>The text")])
    assert feed.error and feed.error.startswith("truncated document: ")
    assert feed.stories == []


def test_control_invisible_and_bidi_characters_are_removed():
    body = (
        b'<rss version="2.0"><channel><title>Inline</title><item>'
        b"<title>Nul\x00 C1\xc2\x85 RLO\xe2\x80\xae zero\xe2\x80\x8bwidth</title>"
        b"<description>lone &#xD800; surrogate and a bell \x07</description>"
        b"<link>http://127.0.0.1/c/1</link></item></channel></rss>"
    )
    (story,) = parse(body).stories
    # feedparser reads a stray C1 byte as the windows-1252 character it usually is ("…")
    assert story.title in ("Nul C1 RLO zerowidth", "Nul C1… RLO zerowidth")
    assert story.text == "lone surrogate and a bell"
    invisible = {"Cc", "Cf", "Cs"}  # controls, format (bidi, zero-width), surrogates
    assert not [c for c in story.title + story.text if unicodedata.category(c) in invisible]


def test_oversized_title_and_text_are_cut():
    body = rss(
        f"<item><title>{'T' * 20_000}</title><description>{'word ' * 30_000}</description></item>"
    )
    (story,) = parse(body).stories
    assert len(story.title) == MAX_TITLE and story.title.endswith("…")
    assert len(story.text) <= MAX_TEXT and story.text.endswith("…")


def test_over_max_items_the_newest_are_kept_in_document_order():
    days = [5, 1, 9, 3, 7, 2, 8, 4, 6]
    items = "".join(
        f"<item><title>Day {day}</title><guid>day-{day}</guid>"
        f"<pubDate>{day:02d} Jan 2025 12:00:00 +0000</pubDate></item>"
        for day in days
    )
    feed = parse(rss(items), max_items=4)
    assert [s.title for s in feed.stories] == ["Day 9", "Day 7", "Day 8", "Day 6"]


def test_the_parser_fetches_nothing_a_document_points_at():
    with FeedServer() as srv:
        dtd = srv.url("/evil.dtd")
        body = (
            f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{dtd}">\n'
            f'<?xml-stylesheet href="{srv.url("/style.xsl")}"?>\n'
        ).encode() + rss("<item><title>Quiet</title></item>")
        feed = parse(body)
    assert [s.title for s in feed.stories] == ["Quiet"]
    assert srv.requests == []


def test_a_bare_guid_is_scoped_by_its_feed_so_two_feeds_cannot_collide():
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>One</title><guid isPermaLink="false">1</guid></item>
      <item><title>Two</title><guid>https://w.example/2</guid></item></channel></rss>"""
    a = parse_feed(body, feed_url="https://a.example/rss", source="A").stories
    b = parse_feed(body, feed_url="https://b.example/rss", source="B").stories
    assert a[0].key == "guid:https://a.example/rss#1" != b[0].key
    assert a[1].key == b[1].key == "guid:https://w.example/2"


def test_an_aggregators_item_names_its_own_outlet_not_the_search_feed():
    body = rss(
        "<item><title>Treaty signed - Caspian Courier</title><link>https://a.example/1</link>"
        '<source url="https://caspian-courier.example/rss">Caspian Courier</source>'
        "<description>Text.</description></item>"
        "<item><title>Plain item</title><link>https://a.example/2</link>"
        "<description>Text.</description></item>"
    )
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Search</title>'
        b'<entry><title>A</title><link href="https://b.example/1"/><id>tag:b,1</id>'
        b"<source><title>Gulf Ledger</title></source><summary>Text.</summary></entry></feed>"
    )
    assert [s.source for s in parse(body).stories] == ["Caspian Courier", "Fixture Wire"]
    assert [s.source for s in parse(atom).stories] == ["Gulf Ledger"]
