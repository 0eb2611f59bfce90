"""Canonical URLs and story keys: one article, one key, however its link is dressed up."""

from __future__ import annotations

import pytest

from watchers.canonical import canonical_url, story_key


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=rss",
        "utm_medium=feed",
        "UTM_Campaign=jan",
        "fbclid=IwAR0abc",
        "gclid=Cj0KCQ",
        "mc_cid=12ab",
        "mc_eid=34cd",
        "ocid=msn",
        "at_medium=RSS",
        "at_campaign=KARANGA",
    ],
)
def test_tracking_parameters_are_stripped(param):
    assert canonical_url(f"https://news.example/a?id=7&{param}") == "https://news.example/a?id=7"


def test_what_is_left_of_the_query_is_sorted():
    assert canonical_url("https://news.example/a?b=2&utm_term=x&a=1") == (
        "https://news.example/a?a=1&b=2"
    )


def test_host_case_fragment_default_port_and_scheme_do_not_matter():
    spellings = [
        "https://news.example/world/treaty",
        "http://news.example/world/treaty",
        "HTTPS://NEWS.Example:443/world/treaty",
        "http://news.example:80/world/treaty#comments",
        "  https://news.example./world/treaty  ",
    ]
    assert {canonical_url(url) for url in spellings} == {"https://news.example/world/treaty"}


def test_path_case_and_other_ports_still_matter():
    assert canonical_url("https://news.example/World") != canonical_url(
        "https://news.example/world"
    )
    assert canonical_url("https://news.example:8443/a") == "https://news.example:8443/a"


def test_a_rotated_tracking_link_and_an_https_upgrade_keep_their_key():
    # the link changes of the corpus's guid_rotation_a/b pair, polled twice
    assert canonical_url("http://127.0.0.1/rot/story-1?utm_source=rss") == canonical_url(
        "http://127.0.0.1/rot/story-1?utm_source=feed&utm_campaign=b"
    )
    assert canonical_url("http://127.0.0.1/rot/story-2") == canonical_url(
        "https://127.0.0.1/rot/story-2"
    )


def test_urls_that_are_not_http_come_back_only_stripped():
    assert canonical_url(" tag:example.invalid,2025:1 ") == "tag:example.invalid,2025:1"


def test_the_guid_wins_then_the_canonical_link_then_a_content_hash():
    link = "http://news.example/a?utm_source=rss"
    assert story_key("abc-123", link, "Title", "Text") == "guid:abc-123"
    assert story_key(None, link, "Title", "Text") == "url:https://news.example/a"
    assert story_key("  ", "", "Title", "Text").startswith("hash:")


def test_the_content_hash_ignores_case_and_spacing_but_not_words():
    key = story_key(None, None, "Treaty signed", "Both leaders  signed it.")
    assert key == story_key(None, None, "TREATY signed ", "Both leaders signed it.")
    assert key != story_key(None, None, "Treaty signed", "Both leaders ratified it.")
    assert len(key) == len("hash:") + 32


def test_keys_stay_short_for_huge_guids_and_links():
    assert len(story_key("g" * 5000, None, "", "")) <= 250
    assert len(story_key(None, "https://news.example/" + "p" * 8000, "", "")) <= 250
    assert story_key("g" * 5000, None, "", "") == story_key("g" * 5000, None, "x", "y")
