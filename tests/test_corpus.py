"""Every feed of the shared robustness corpus goes through fetch and parse safely.

The corpus lives beside the repository (`../shared/corpus/`, described in its README):
feedparser's own test feeds and hostile inputs written for this project. Every file must
parse without an exception into stories that carry no NUL, control, bidi or zero-width
characters, no lone surrogates and no link other than http/https. The big hostile inputs are
generated into a temporary folder by the corpus's own scripts and served by the loopback feed
server, so they cross the real fetcher: its size cap must stop them while streaming.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from watchers.canonical import canonical_url
from watchers.fetch import Fetcher, FetchResult
from watchers.parse import MAX_TEXT, MAX_TITLE, ParsedFeed, parse_feed

CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus"
HOSTILE = CORPUS / "hostile"
UA = "newsdelta/0.1 (+https://github.com/newsdelta/newsdelta)"
FEED_URL = "http://127.0.0.1/corpus/feed.xml"
NOW = datetime(2025, 2, 1, tzinfo=UTC)
FORBIDDEN = {"Cc", "Cs"}  # control characters (newline aside) and lone surrogates
INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF} | set(range(0x202A, 0x202F))

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the shared feed corpus is not checked out at {CORPUS}"
)


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    folders = (CORPUS / "feedparser-tests", HOSTILE)
    return sorted(p for f in folders for p in f.rglob("*") if p.is_file() and p.suffix != ".py")


def parse(body: bytes, **options) -> ParsedFeed:
    return parse_feed(body, feed_url=FEED_URL, source="corpus", now=NOW, **options)


@functools.cache
def parse_file(path: Path) -> ParsedFeed:
    """Each corpus file is parsed once per session, however many tests look at it."""
    return parse(path.read_bytes())


def parse_hostile(name: str) -> ParsedFeed:
    return parse_file(HOSTILE / name)


def assert_safe(feed: ParsedFeed) -> None:
    """What every parse result must honour, whatever went in."""
    assert feed.error is None or "\n" not in feed.error
    assert not (feed.error and feed.stories)
    for story in feed.stories:
        for value in (story.title, story.text, story.link or "", story.key, feed.title):
            bad = [
                c
                for c in value
                if c != "\n" and (unicodedata.category(c) in FORBIDDEN or ord(c) in INVISIBLE)
            ]
            assert not bad, f"{story.key}: {bad!r}"
            assert "root:" not in value
        assert "\n" not in story.title
        assert len(story.title) <= MAX_TITLE and len(story.text) <= MAX_TEXT
        assert story.link is None or story.link.startswith(("http://", "https://"))
        assert story.published is None or story.published.tzinfo is not None
        assert story.published is None or story.published <= NOW


@pytest.mark.parametrize(
    "path", corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)) if CORPUS.is_dir() else ""
)
def test_every_corpus_file_parses_into_safe_stories(path):
    assert_safe(parse_file(path))


@pytest.mark.parametrize(
    "name", ["billion_laughs.xml", "xxe_file_passwd.xml", "xxe_parameter_entity_ssrf.xml"]
)
def test_entity_bombs_and_external_entities_are_rejected_unread(name):
    feed = parse_hostile(name)
    assert feed.error and feed.error.startswith("rejected:")
    assert feed.stories == []


def test_an_html_challenge_page_is_not_a_feed():
    assert parse_hostile("html_instead_of_feed.html").error == "not a feed: text/html page"


def test_a_body_cut_mid_item_fails_as_a_whole():
    feed = parse_hostile("truncated_mid_item.xml")
    assert feed.error and feed.error.startswith("truncated document")
    assert feed.stories == []


def test_ten_thousand_items_are_capped_to_the_newest_max_items():
    feed = parse_hostile("many_items_10000.xml")  # max_items defaults to 500
    assert len(feed.stories) == 500
    assert feed.stories[0].title == "Story 09500"
    assert feed.stories[-1].title == "Story 09999"


def _guid(key: str) -> str:
    """A bare guid's key is scoped by its feed URL ("guid:<feed>#<guid>"): strip the scope."""
    return "guid:" + key.rsplit("#", 1)[-1] if key.startswith("guid:") else key


def test_injected_links_and_invisible_characters_are_dropped():
    stories = {_guid(s.key): s for s in parse_hostile("mention_injection.xml").stories}
    assert stories["guid:mention-3"].link is None  # was javascript:
    assert stories["guid:mention-4"].title == (
        "Right-to-left override: gnp.exe and zerowidth and BOM"
    )


def test_hostile_dates_are_utc_clamped_or_none_and_no_item_is_lost():
    feed = parse_hostile("dates_future_and_naive.xml")
    published = {_guid(s.key): s.published for s in feed.stories}
    assert published["guid:dates-future"] == NOW
    assert published["guid:dates-nozone-iso"] == datetime(2024, 3, 10, 2, 30, tzinfo=UTC)
    assert published["guid:dates-1969"] == datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC)
    for unparseable in ("garbage", "y10k", "feb30", "none"):
        assert published[f"guid:dates-{unparseable}"] is None
    assert len(published) == 9


def test_items_without_guid_or_link_keep_the_same_distinct_keys_on_every_poll():
    first = [s.key for s in parse_hostile("no_guid_no_link.xml").stories]
    again = [s.key for s in parse_hostile("no_guid_no_link.xml").stories]
    assert first == again
    assert len(set(first)) == len(first) == 6  # the empty item is skipped


def test_rotated_guids_still_share_canonical_links():
    a = parse_hostile("guid_rotation_a.xml").stories
    b = parse_hostile("guid_rotation_b.xml").stories
    assert [canonical_url(s.link) for s in a] == [canonical_url(s.link) for s in b]


def test_oversized_fields_are_bounded():
    (story,) = parse_hostile("oversized_fields.xml").stories
    assert len(story.title) == MAX_TITLE
    assert len(story.text) == MAX_TEXT
    assert len(story.key) <= 250


def generate(tmp_path: Path, script: str, *args: str) -> bytes:
    out = tmp_path / "generated"
    subprocess.run([sys.executable, str(HOSTILE / script), str(out), *args], check=True)
    return out.read_bytes()


async def fetch_served(body: bytes, **doc_fields) -> FetchResult:
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/generated.xml", body, **doc_fields)
        return await fetcher.fetch(srv.url("/generated.xml"))


@pytest.mark.parametrize("layout", [[], ["--one-line"]], ids=["multi-line", "one-line"])
async def test_a_quadratic_blowup_is_fetched_then_rejected_before_parsing(tmp_path, layout):
    result = await fetch_served(generate(tmp_path, "make_quadratic_blowup.py", *layout))
    assert result.status == "ok"
    feed = parse(result.body)
    assert feed.error and feed.error.startswith("rejected:")


async def test_a_gzip_bomb_stops_at_the_cap_on_inflated_bytes(tmp_path):
    bomb = generate(tmp_path, "make_gzip_bomb.py", "--gib", "1")
    result = await fetch_served(bomb, headers={"Content-Encoding": "gzip"})
    assert (result.status, result.body) == ("error", None)
    assert result.error == "body over 5 MiB cap"


async def test_a_nested_gzip_bomb_is_inflated_once_and_is_not_a_feed(tmp_path):
    bomb = generate(tmp_path, "make_gzip_bomb.py", "--gib", "0.25", "--nested")
    result = await fetch_served(bomb, headers={"Content-Encoding": "gzip"})
    assert result.status == "ok"
    assert result.body[:2] == b"\x1f\x8b"  # the inner gzip stream, left compressed
    feed = parse(result.body)
    assert feed.error and feed.error.startswith("not a feed")


@pytest.mark.parametrize("shape", ["one-item", "many-items", "no-end"])
async def test_a_huge_feed_stops_at_the_cap(tmp_path, shape):
    body = generate(tmp_path, "make_huge.py", "--mib", "50", "--shape", shape)
    result = await fetch_served(body)
    assert (result.status, result.body) == ("error", None)
    assert result.error == "body over 5 MiB cap"
