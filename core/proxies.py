"""Who sent a request, when proxies stand in front of the app: only the proxies named in
settings.TRUSTED_PROXIES (addresses or networks) are believed about the request (its
X-Request-Id, the client address in X-Forwarded-For); anyone else's such headers are ignored."""

import ipaddress
from functools import cache

from django.conf import settings


@cache
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def from_trusted_proxy(request) -> bool:
    """Whether the request came straight from one of the trusted proxies."""
    return _trusted(request.META.get("REMOTE_ADDR", ""))


def client_ip(request) -> str | None:
    """The client's address: the connection's, or, through trusted proxies, the nearest
    address in X-Forwarded-For that is not one of them (a client can put anything at the
    far end of that header, so it is read from our side)."""
    peer = request.META.get("REMOTE_ADDR") or None
    if peer is None or not _trusted(peer):
        return peer
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in forwarded if hop]):
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a hop we cannot read: the last proxy is all we know
    return peer
