"""SSRF guard for feeds added from chat: only public http(s) addresses may be fetched.

Two layers:
- `check_url(url)` refuses, without any I/O, a scheme other than http/https and a host that
  is an IP literal in a forbidden range — including the spellings `inet_aton` accepts
  (`127.1`, `2130706433`, `0x7f.1`, `017700000001`) and IPv4-mapped IPv6 (`::ffff:127.0.0.1`).
- `guarded_transport()` is an httpx transport whose network backend resolves the host,
  checks EVERY resolved address, then connects to one of those checked addresses. It runs for
  every connection, so every redirect hop is checked and DNS rebinding cannot swap the address
  between check and connect.

Forbidden: loopback, private, link-local, CGNAT (100.64/10), multicast, unspecified, reserved,
and anything else that is not globally routable. `allow` lists extra networks to let through;
only tests use it (to make 127.0.0.2 a stand-in for "the public internet").
Refusals raise `BlockedAddress`, whose message reads like "127.0.0.1 is loopback".
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class BlockedAddress(Exception):
    """A URL or address the guard refuses; the message says which and why."""


def networks(specs: Iterable[str]) -> Networks:
    """Parse network specs such as "127.0.0.2/32" for the `allow` parameters."""
    return tuple(ipaddress.ip_network(spec) for spec in specs)


def forbidden_reason(address: IPAddress) -> str | None:
    """Why `address` may not be dialled ("loopback", "private", ...), or None if public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        reason = forbidden_reason(address.ipv4_mapped)
        return f"IPv4-mapped {reason}" if reason else None
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("CGNAT", address in _CGNAT),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def check_address(address: str | IPAddress, allow: Networks = ()) -> None:
    """Raise `BlockedAddress` unless `address` is public or inside an `allow` network."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if any(ip.version == net.version and ip in net for net in allow):
        return
    reason = forbidden_reason(ip)
    if reason:
        raise BlockedAddress(f"{ip} is {reason}")


def literal_address(host: str) -> IPAddress | None:
    """The IP address `host` spells, in any spelling a resolver accepts, or None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def check_url(url: str, allow: Networks = ()) -> None:
    """Refuse non-http(s) schemes, missing hosts and IP-literal hosts in forbidden ranges.

    Host names are not resolved here; the guarded transport checks what they resolve to.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError as exc:
        raise BlockedAddress(f"unparseable URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BlockedAddress(f"scheme {parts.scheme or '(none)'!r} is not http/https")
    if not host:
        raise BlockedAddress("URL has no host")
    literal = literal_address(host)
    if literal is not None:
        check_address(literal, allow)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every resolved address, then connects to a checked address."""

    def __init__(self, allow: Networks = ()) -> None:
        self._allow = allow
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[int, int, int | bytes]] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port)
        for address in addresses:
            check_address(address, self._allow)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[tuple[int, int, int | bytes]] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    @staticmethod
    async def _resolve(host: str, port: int) -> Sequence[str]:
        literal = literal_address(host)
        if literal is not None:
            return [str(literal)]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from None
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


def guarded_transport(allow: Networks = ()) -> httpx.AsyncHTTPTransport:
    """An httpx transport that dials only addresses passing `check_address`.

    httpx offers no public hook for the network backend, so the transport's connection pool
    is replaced by one built on `GuardedBackend` (httpx is pinned below 1.0).
    """
    ssl_context = httpx.create_ssl_context(trust_env=False)
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context, network_backend=GuardedBackend(allow)
    )
    return transport
