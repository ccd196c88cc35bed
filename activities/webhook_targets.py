"""Where a merchant's webhook may point: on an exposed deployment, only public internet addresses.

A merchant names the URL; without this check it could make our servers POST to our own database, the Temporal
frontend, a cloud metadata service (169.254.169.254) or anything else on the private network, and read the
answers' status codes in the delivery log (a port scanner). The host is resolved and every address it resolves
to must be global; redirects are never followed (activities/webhook_sender.py). Checked when the URL is saved
(the API answers 422) and again before every attempt (the name may resolve elsewhere by then).
`make run` and the tests keep private targets allowed (settings.allows_private_webhook_targets).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


def is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def refusal(url: str) -> str | None:
    """Why this URL may not be called from here (None: every address its host resolves to is public)."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return "the endpoint must be an http(s) URL with a host"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        return "the endpoint's host does not resolve"
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(is_public(a) for a in addresses):
        return "the endpoint's host is not a public internet address"
    return None
