"""Missing pages: which 404s Nginx may keep, and the token that drops them all at once.

Nginx keeps a 404 in its own bounded memory (``deploy/nginx/missing.lua``) when Django's
answer says ``X-Cache-Missing: keep``: never in memcached, never in the database, so junk
URLs cannot fill either. Django says so for exactly the 404s it would store were they
pages (:func:`keepable`: an anonymous GET Nginx looked up, whatever its spelling).

A kept 404 is answered only while memcached's token (:func:`token_key`) is the one Nginx
read before asking Django. Every purge deletes the token (``cachekeys.purge``), and with it
every kept 404 on every Nginx, so a post published at a URL is served there at once;
Django writes a new token, with ``add``, when it next answers a 404 that may be kept. A
delete a down node missed is retried like any page's (``PendingDelete``).
"""
from __future__ import annotations

import dataclasses
import logging
import secrets

from cachekeys.policy import Exchange, Rules, refusal
from cachekeys.pool import MemcachedPool, NodeUnavailable

logger = logging.getLogger("cachekeys")

KEEP_HEADER = "X-Cache-Missing"
NO_TOKEN = "none"  # what Nginx sends when memcached holds no token


def token_key(prefix: str) -> str:
    """The memcached key of the token every kept 404 is valid under."""
    return f"{prefix}cachekeys:missing"


def keepable(exchange: Exchange, rules: Rules) -> bool:
    """Return whether Nginx may keep this 404: everything a stored page needs but the status.

    Any spelling may be kept (the dict is bounded, so junk spellings only push out other
    junk): the canonical-spelling rule is for memcached, whose items are worth more.
    """
    if exchange.status != 404:
        return False
    as_page = dataclasses.replace(exchange, status=200, canonical_uri=exchange.lookup.key_uri)
    return refusal(as_page, rules) is None


def ensure_token(pool: MemcachedPool, prefix: str) -> str | None:
    """Return the token, making one if there is none (``add``: a token there stays).

    ``None`` when memcached cannot be reached: then no 404 is kept.
    """
    key = token_key(prefix)
    server = pool.node_for(key)
    if server is None:
        return None
    try:
        pool.call(server, "add", key, secrets.token_hex(16).encode("ascii"), expire=0, noreply=False)
        value = pool.call(server, "get", key)
    except NodeUnavailable:
        return None
    return value.decode("ascii", "replace") if value else None


def token_for(nginx_read: str | None, pool: MemcachedPool, prefix: str) -> str | None:
    """Return the token to name in the answer, before anything is read for it.

    Nginx sends the token it read (``X-Cache-Missing-Token``); ``none`` means memcached
    held none (first start, eviction, a purge a moment ago): then Django makes one now,
    before the render reads anything, so a purge after this still drops the 404 it keeps.
    ``None``: Nginx asked nothing (the header is absent), keep nothing.
    """
    if not nginx_read:
        return None
    return ensure_token(pool, prefix) if nginx_read == NO_TOKEN else nginx_read
