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


def is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
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
    host = original.host
    extensions = {"sni_hostname": host} if original.scheme == "https" else {}
    return original.copy_with(host=address.split("%", 1)[0]), {"host": original.netloc.decode("ascii")}, extensions
