"""Who a request comes from, behind Nginx.

gunicorn sees every request from Nginx's address, so anything keyed by address (login
throttling, who may read the metrics) would treat all readers as one. Nginx sends the
client's address in ``X-Real-IP``, replacing any a client sent (``deploy/nginx/proxy.conf``;
a load balancer in ``NGINX_REAL_IP_FROM`` may name it to Nginx). That header is believed
only from loopback and the ``TRUSTED_PROXIES`` (the Nginx fronts): anyone else talking to
gunicorn directly is taken at their own address, whatever they send.
"""
from __future__ import annotations

import functools
import ipaddress

from django.http import HttpRequest

from cachekeys.conf import get_config

LOOPBACK = ("127.0.0.0/8", "::1/128")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def networks(addresses: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(address, strict=False) for address in (*LOOPBACK, *addresses))


def parse(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    # An IPv4 client of a dual-stack socket arrives as ::ffff:a.b.c.d: one client, one address.
    mapped = getattr(parsed, "ipv4_mapped", None)
    return mapped or parsed


def address_in(address: str | None, allowed: tuple[str, ...]) -> bool:
    """Return whether ``address`` is loopback or in one of the ``allowed`` networks."""
    parsed = parse(address)
    return parsed is not None and any(parsed in network for network in networks(allowed)
                                      if network.version == parsed.version)


def real_address(remote_addr: str | None, real_ip: str | None, trusted: tuple[str, ...]) -> str:
    """The client's address: ``real_ip`` when a trusted proxy sent it, else the peer's own."""
    if real_ip is not None and address_in(remote_addr, trusted):
        parsed = parse(real_ip)
        if parsed is not None:
            return str(parsed)
    parsed = parse(remote_addr)
    return str(parsed) if parsed is not None else (remote_addr or "")


def client_address(request: HttpRequest) -> str:
    """Django's view of the reader's address (django-axes' ``AXES_CLIENT_IP_CALLABLE``)."""
    meta = request.META
    return real_address(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_REAL_IP"), get_config().trusted_proxies)
