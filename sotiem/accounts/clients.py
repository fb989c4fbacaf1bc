"""The client address that throttles count by: officials' logins (django-axes) and citizens' birth-date tries.

It is REMOTE_ADDR, never a header the client can write: the project has no list of trusted proxies, so behind a
reverse proxy the deployment must make REMOTE_ADDR the real client's address (docs/deployment.md).
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address a throttle counts: IPv4 as it is; IPv6 as the first address of its /64 (one subscriber's)."""
    raw = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False).network_address)
    return str(ip)
