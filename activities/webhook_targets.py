"""Where a merchant's webhook may point: on an exposed deployment, only public internet addresses.

A merchant names the URL; without this check it could make our servers POST to our own database, the Temporal
frontend, a cloud metadata service (169.254.169.254) or anything else on the private network, and read the
answers in the delivery log (a port scanner). The host is resolved and every address it resolves to must be
global; redirects are never followed (activities/webhook_sender.py). Checked when the URL is saved (the API
answers 422) and again before every attempt, and the attempt connects to the address that was checked (`pinned`),
so a name cannot resolve to a public address for the check and to a private one for the connection.
`make run` and the tests keep private targets allowed (settings.allows_private_webhook_targets).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True)
class Target:
    addresses: tuple[str, ...]  # what the host resolved to, IPv4 first
    refusal: str | None  # why it may not be called from an exposed deployment (None: every address is public)


NOT_PUBLIC = "the endpoint's host is not a public internet address (or does not resolve)"
# A merchant controls its endpoint's name, and so how slowly it resolves: lookups run in threads of their own, at
# most this many at once and each given up after RESOLVE_SECONDS, so a slow name server can hold back only other
# lookups, never the drain's database work, the emails or the event loop's default threads.
RESOLVERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="webhook-dns")
RESOLVE_SECONDS = 5.0


# IPv6 ranges that carry an IPv4 address (RFC 6052 NAT64, RFC 3056 6to4, RFC 4380 Teredo, ::a.b.c.d) or are
# private by another name (fec0::/10 site-local): behind NAT64 `64:ff9b::a9fe:a9fe` IS 169.254.169.254.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
REFUSED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in ("64:ff9b:1::/48", "fec0::/10", "2001::/32")  # local NAT64, site-local, Teredo (IPv4 obfuscated)
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64 or ip in ipaddress.IPv6Network("::/96"):  # NAT64, IPv4-compatible (and :: , ::1 below)
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def is_public(address: str) -> bool:
    """Whether a connection to this address reaches the public internet, IPv4 spelled in IPv6 judged as IPv4."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in ipaddress.IPv6Network("::/127"):  # the unspecified address and loopback, not IPv4-compatible
            return False
        if any(ip in net for net in REFUSED_V6):
            return False
        ip = _embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


async def check(url: str) -> Target:
    """The URL's host resolved once, and whether every address is public."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return Target((), "the endpoint must be an http(s) URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        lookup = functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        infos = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(RESOLVERS, lookup), RESOLVE_SECONDS)
    except (OSError, ValueError, UnicodeError, TimeoutError):
        # The same words as a private address: which internal names exist is not the merchant's to learn.
        return Target((), NOT_PUBLIC)
    found = dict.fromkeys(info[4][0] for info in infos)  # once each, in the resolver's order
    addresses = tuple(sorted(found, key=lambda a: ":" in a))  # IPv4 first: reachable from most hosts
    if not addresses or not all(is_public(a) for a in addresses):
        return Target(addresses, NOT_PUBLIC)
    return Target(addresses, None)


async def refusal(url: str) -> str | None:
    """Why this URL may not be called from here (None: every address its host resolves to is public)."""
    return (await check(url)).refusal


def pinned(url: str, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The request to `url` sent to `address`: the URL with the address as its host, the Host header the URL's
    own, and (https) the certificate checked against the URL's host name (httpcore's `sni_hostname`)."""
    original = httpx.URL(url)
    # The A-label the URL holds (IDNA 2008), not the Unicode form: ssl would encode that with IDNA 2003 (faß.de
    # as fass.de) and check the certificate against another domain than the one connected to.
    host = original.raw_host.decode("ascii")
    extensions = {"sni_hostname": host} if original.scheme == "https" else {}
    return original.copy_with(host=address.split("%", 1)[0]), {"host": original.netloc.decode("ascii")}, extensions
