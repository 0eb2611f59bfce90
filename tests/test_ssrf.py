"""The SSRF guard on feeds added from chat.

The address checks are pure functions (no connection is made, whatever address they are
given). The fetch tests dial loopback only: 127.0.0.2 plays "an allowed public host" through
the test-only `guard_allow`, and 127.0.0.1 plays the internal service a redirect or a
hostname tries to reach.
"""

from __future__ import annotations

import pytest

from tests.fakes.feed_server import FeedServer
from watchers.fetch import Fetcher
from watchers.ssrf import BlockedAddress, check_address, check_url, networks

UA = "newsdelta/0.1 (+https://github.com/newsdelta/newsdelta)"
FEED = b'<rss version="2.0"><channel><title>guard</title></channel></rss>'


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://127.1/feed.xml",
        "http://2130706433/feed.xml",
        "http://0x7f.1/feed.xml",
        "http://017700000001/feed.xml",
        "http://0x7f000001/feed.xml",
        "http://[::1]/feed.xml",
        "http://[::ffff:127.0.0.1]/feed.xml",
        "https://127.0.0.1:8443/feed.xml",
    ],
)
def test_every_spelling_of_loopback_is_refused(url):
    with pytest.raises(BlockedAddress, match="loopback"):
        check_url(url)


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.2/feed.xml", "file:///etc/passwd", "gopher://x.invalid/", "feed.xml"]
)
def test_schemes_other_than_http_and_https_are_refused(url):
    with pytest.raises(BlockedAddress, match="is not http/https"):
        check_url(url)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ],
)
def test_addresses_that_are_not_public_are_refused_with_the_reason(address, reason):
    with pytest.raises(BlockedAddress, match=f"is {reason}$"):
        check_address(address)


def test_public_addresses_and_host_names_pass_the_url_check():
    check_address("1.1.1.1")
    check_address("2606:4700:4700::1111")
    check_url("https://news.example.com/rss.xml")  # names are checked when dialled


def test_an_allowed_network_lets_exactly_its_addresses_through():
    allow = networks(["127.0.0.2/32"])
    check_url("http://127.0.0.2/feed.xml", allow)
    with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1 is loopback"):
        check_url("http://127.0.0.1/feed.xml", allow)


async def test_a_guarded_fetch_of_loopback_is_refused_before_any_connection():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/feed.xml", FEED)
        result = await fetcher.fetch(srv.url("/feed.xml"), guard=True)
    assert result.status == "error"
    assert result.error == "refused: 127.0.0.1 is loopback"
    assert srv.requests == []


async def test_an_unguarded_fetch_of_loopback_works():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/feed.xml", FEED)
        result = await fetcher.fetch(srv.url("/feed.xml"))
    assert (result.status, result.body) == ("ok", FEED)


async def test_a_host_name_is_checked_by_what_it_resolves_to():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/feed.xml", FEED)
        by_name = srv.url("/feed.xml").replace("127.0.0.1", "localhost")
        result = await fetcher.fetch(by_name, guard=True)
    assert result.error and result.error.startswith("refused: ")
    assert "loopback" in result.error
    assert srv.requests == []


async def test_an_allowed_address_is_dialled_through_the_guard():
    fetcher = Fetcher(user_agent=UA, guard_allow=["127.0.0.2/32"])
    async with FeedServer("127.0.0.2") as public, fetcher:
        public.set("/feed.xml", FEED)
        result = await fetcher.fetch(public.url("/feed.xml"), guard=True)
    assert (result.status, result.body) == ("ok", FEED)


@pytest.mark.parametrize("target_host", ["127.0.0.1", "localhost"])
async def test_a_redirect_from_an_allowed_host_to_loopback_is_refused(target_host):
    fetcher = Fetcher(user_agent=UA, guard_allow=["127.0.0.2/32"])
    async with FeedServer("127.0.0.2") as public, FeedServer() as internal, fetcher:
        internal.set("/admin.xml", FEED)
        target = internal.url("/admin.xml").replace("127.0.0.1", target_host)
        public.set("/feed.xml", redirect=target)
        guarded = await fetcher.fetch(public.url("/feed.xml"), guard=True)
        assert guarded.error and guarded.error.startswith("refused: ")
        assert "loopback" in guarded.error
        assert [seen.path for seen in public.requests] == ["/feed.xml"]
        assert internal.requests == []

        unguarded = await fetcher.fetch(public.url("/feed.xml"))
        assert (unguarded.status, unguarded.body) == ("ok", FEED)
        assert len(internal.requests) == 1
