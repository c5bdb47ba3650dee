"""What Nginx looked up for one request, read once and shared by every decision after it.

Nginx's cache location names the key it looked up (``X-Cache-Key``) and the raw URI it
hashed (``X-Request-URI``). :func:`lookup` reads both once, normalises the host once,
recomputes the key once and decides once whether the two agree; coalescing
(``cachekeys.coalesce``), the store policy (``cachekeys.policy``) and the store itself all
read that one :class:`Lookup`.
"""
from __future__ import annotations

from dataclasses import dataclass

from cachekeys.keys import NO_TRACKING, TrackingParams, key_uri, normalize_host, page_key


@dataclass(frozen=True)
class KeyRules:
    """The settings the key depends on (from ``cachekeys.conf``)."""

    key_prefix: str = ""
    tracking: TrackingParams = NO_TRACKING


@dataclass(frozen=True)
class Lookup:
    method: str
    host: str  # as Nginx's $host holds it; "" when Django refused the Host header
    request_uri: str | None  # $request_uri as Nginx sent it (X-Request-URI)
    nginx_key: str | None  # the key Nginx looked up (X-Cache-Key)
    key_uri: str | None  # request_uri minus tracking parameters: what the key hashes
    agrees: bool  # Nginx's key is the one Django computes: storing there serves readers

    @property
    def looked_up(self) -> bool:
        return bool(self.nginx_key) and self.request_uri is not None


def lookup(method: str, host: str, request_uri: str | None, nginx_key: str | None,
           rules: KeyRules) -> Lookup:
    """Build the request's lookup from the raw parts Nginx and the client sent."""
    host = normalize_host(host) if host else ""
    uri = key_uri(request_uri, rules.tracking) if request_uri is not None else None
    agrees = bool(nginx_key) and uri is not None and bool(host) and (
        page_key(host, uri, rules.key_prefix) == nginx_key)
    return Lookup(method=method, host=host, request_uri=request_uri, nginx_key=nginx_key or None,
                  key_uri=uri, agrees=agrees)
