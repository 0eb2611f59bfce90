"""Fetching feeds politely and within bounds, against a loopback feed server.

Every test talks HTTP to `tests.fakes.feed_server.FeedServer` on 127.0.0.1 and reads back
what the server saw; nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from watchers.fetch import Fetcher

UA = "newsdelta/0.1 (+https://github.com/newsdelta/newsdelta)"
FEED = (Path(__file__).parent / "feeds" / "fetch_small.xml").read_bytes()


async def test_first_fetch_reads_the_feed_and_a_refetch_with_its_validators_is_not_modified():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/feed.xml", FEED)
        first = await fetcher.fetch(srv.url("/feed.xml"))
        again = await fetcher.fetch(
            srv.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified
        )
    assert (first.status, first.body, first.error) == ("ok", FEED, None)
    assert first.etag and first.last_modified
    assert (again.status, again.body) == ("not_modified", None)
    assert (again.etag, again.last_modified) == (first.etag, first.last_modified)
    sent = [seen.headers for seen in srv.requests]
    assert [h.get("user-agent") for h in sent] == [UA, UA]
    assert "if-none-match" not in sent[0]
    assert sent[1]["if-none-match"] == first.etag
    assert sent[1]["if-modified-since"] == first.last_modified


async def test_last_modified_alone_is_enough_for_a_304():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/feed.xml", FEED, etag=None)
        first = await fetcher.fetch(srv.url("/feed.xml"))
        again = await fetcher.fetch(srv.url("/feed.xml"), last_modified=first.last_modified)
    assert first.etag is None
    assert again.status == "not_modified"


async def test_a_server_slower_than_the_timeout_gives_a_timeout_error_without_waiting_for_it():
    async with FeedServer() as srv, Fetcher(user_agent=UA, timeout=0.5) as fetcher:
        srv.set("/slow.xml", FEED, delay=10)
        result = await fetcher.fetch(srv.url("/slow.xml"))
    assert result.status == "error"
    assert result.error == "timeout after 0.5s"
    assert result.elapsed < 10  # it did not wait for the server's answer


async def test_a_server_error_is_reported_with_its_status():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/broken.xml", b"oops", status=500)
        result = await fetcher.fetch(srv.url("/broken.xml"))
    assert (result.status, result.body) == ("error", None)
    assert result.error == "HTTP 500 Internal Server Error"


async def test_429_with_retry_after_seconds_reports_how_long_to_wait():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/busy.xml", b"", status=429, headers={"Retry-After": "120"})
        result = await fetcher.fetch(srv.url("/busy.xml"))
    assert result.error == "HTTP 429 Too Many Requests"
    assert result.retry_after == 120.0


async def test_503_with_retry_after_as_an_http_date_is_converted_to_seconds():
    in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/down.xml", b"", status=503, headers={"Retry-After": in_an_hour})
        result = await fetcher.fetch(srv.url("/down.xml"))
    assert result.retry_after is not None
    assert 3000 < result.retry_after <= 3600


async def test_cache_control_max_age_is_reported():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/feed.xml", FEED, headers={"Cache-Control": "public, max-age=900"})
        result = await fetcher.fetch(srv.url("/feed.xml"))
    assert result.max_age == 900.0


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", lambda body: gzip.compress(body)),
        ("deflate", lambda body: zlib.compress(body)),
        ("deflate", lambda body: zlib.compress(body)[2:-4]),  # raw deflate, no zlib header
    ],
    ids=["gzip", "deflate", "raw-deflate"],
)
async def test_compressed_bodies_arrive_decoded(encoding, encode):
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/feed.xml", encode(FEED), headers={"Content-Encoding": encoding})
        result = await fetcher.fetch(srv.url("/feed.xml"))
    assert (result.status, result.body) == ("ok", FEED)
    assert srv.requests[0].headers["accept-encoding"] == "gzip, deflate"


async def test_a_gzip_bomb_stops_at_the_cap_on_decompressed_bytes():
    squeezer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    blank = b" " * (1 << 20)
    bomb = b"".join(squeezer.compress(blank) for _ in range(64)) + squeezer.flush()
    assert len(bomb) < (1 << 20) < 64 << 20  # small on the wire, 64 MiB inflated
    async with FeedServer() as srv, Fetcher(user_agent=UA, max_bytes=1 << 20) as fetcher:
        srv.set("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
        result = await fetcher.fetch(srv.url("/bomb.xml"))
    assert (result.status, result.body) == ("error", None)
    assert result.error == "body over 1 MiB cap"


async def test_a_plain_body_over_the_cap_is_refused():
    async with FeedServer() as srv, Fetcher(user_agent=UA, max_bytes=1000) as fetcher:
        srv.set("/big.xml", b"x" * 5000)
        result = await fetcher.fetch(srv.url("/big.xml"))
    assert result.error == "body over 1000 bytes cap"


async def test_an_encoding_we_did_not_offer_is_an_error():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/feed.xml", b"\x00\x01", headers={"Content-Encoding": "br"})
        result = await fetcher.fetch(srv.url("/feed.xml"))
    assert result.error == "bad compressed body: unsupported Content-Encoding 'br'"


async def test_redirects_are_followed_and_the_result_names_the_final_url():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        srv.set("/moved.xml", redirect=srv.url("/feed.xml"))
        srv.set("/feed.xml", FEED)
        result = await fetcher.fetch(srv.url("/moved.xml"))
    assert (result.status, result.body) == ("ok", FEED)
    assert result.url == srv.url("/feed.xml")


async def test_more_than_five_redirects_is_an_error():
    async with FeedServer() as srv, Fetcher(user_agent=UA) as fetcher:
        for hop in range(7):
            srv.set(f"/hop{hop}", redirect=srv.url(f"/hop{hop + 1}"))
        result = await fetcher.fetch(srv.url("/hop0"))
    assert result.error == "too many redirects (over 5)"
    assert len(srv.requests) == 6  # the first request and five redirects, no more


async def test_no_more_than_per_host_fetches_reach_one_host_at_once():
    async with FeedServer() as srv, Fetcher(user_agent=UA, per_host=2) as fetcher:
        srv.set("/feed.xml", FEED, delay=0.2)
        results = await asyncio.gather(*(fetcher.fetch(srv.url("/feed.xml")) for _ in range(6)))
    assert [r.status for r in results] == ["ok"] * 6
    assert srv.max_in_flight == 2


async def test_max_concurrency_bounds_fetches_across_hosts():
    fetcher = Fetcher(user_agent=UA, max_concurrency=1, per_host=5)
    async with FeedServer("127.0.0.1") as one, FeedServer("127.0.0.2") as two, fetcher:
        for srv in (one, two):
            srv.set("/feed.xml", FEED, delay=0.1)
        urls = [srv.url("/feed.xml") for srv in (one, two) for _ in range(3)]
        results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
    assert [r.status for r in results] == ["ok"] * 6
    assert (one.max_in_flight, two.max_in_flight) == (1, 1)


async def test_a_refused_connection_is_an_error_not_an_exception():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with Fetcher(user_agent=UA) as fetcher:
        result = await fetcher.fetch(f"http://127.0.0.1:{closed_port}/feed.xml")
    assert result.status == "error"
    assert result.error and result.error.startswith("ConnectError")
    assert "\n" not in result.error


async def test_a_url_that_is_not_http_is_an_error_not_an_exception():
    async with Fetcher(user_agent=UA) as fetcher:
        result = await fetcher.fetch("ftp://127.0.0.1/feed.xml")
    assert result.status == "error"
    assert result.error and "UnsupportedProtocol" in result.error
