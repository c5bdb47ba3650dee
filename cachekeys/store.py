"""Putting a rendered page where Nginx will find it: the value, expiry, size, leases.

A stored page is a :mod:`cachekeys.value` (status, the headers a hit repeats, the gzip
body) at Nginx's key, and the same value under its grace key for ``GRACE_SECONDS``: the
copy Nginx serves (``X-Cache: STALE``) while no app server answers. Deletes live in
:mod:`cachekeys.deletes`.
"""
from __future__ import annotations

import gzip
import logging
import random

from django.http import HttpResponseBase

from cachekeys import value
from cachekeys.conf import Config, get_config
from cachekeys.deletes import delete_everywhere, grace_key
from cachekeys.headers import security_headers
from cachekeys.pool import get_pool
from cachekeys.records import RenderTicket, purged_since, record_page

__all__ = ["compress", "expiry", "get_pool", "pack_response", "store_guarded"]

logger = logging.getLogger("cachekeys")


def compress(body: bytes, level: int) -> bytes:
    # mtime=0: the same page always compresses to the same bytes.
    return gzip.compress(body, compresslevel=level, mtime=0)


def expiry(timeout: int, jitter: float, rng: random.Random | None = None) -> int:
    """Return ``timeout`` shortened by a random fraction up to ``jitter``; at least 1 s."""
    rng = rng or random
    return max(1, int(timeout * (1 - rng.uniform(0, jitter))))


def pack_response(response: HttpResponseBase, level: int) -> bytes:
    """The memcached value for ``response``: its status, carried headers and gzip body.

    With the headers the middleware above ours will add to it, as a reader of the miss
    gets them.
    """
    headers = list(response.headers.items())
    headers += [(name, header) for name, header in security_headers() if name not in response]
    return value.pack(response.status_code, headers, compress(response.content, level))


def store_guarded(ticket: RenderTicket, key: str, host: str, uri: str, response: HttpResponseBase,
                  tags: set[str], ttl: int, config: Config | None = None) -> str | None:
    """Store a page unless a purge of what it shows began during its render.

    Order matters: record the tags (so a purge from now on finds the key), check for a
    purge, store (the page, then its grace copy), then check again and delete both if one
    slipped in between: a copy read before an unpublish must not outlive it either.
    """
    config = config or get_config()
    stored = pack_response(response, config.gzip_level)
    if len(stored) > config.max_item_size:
        return "too large"  # memcached refuses items over its -I limit (1 MB by default)
    record_page(key, host, uri, tags, ttl)
    if purged_since(ticket, tags):
        return "purged during render"
    pool = get_pool(config)
    if not pool.set(key, stored, expire=ttl, flags=config.gzip_flag):
        logger.warning("could not store page %s in memcached; serving it uncached", key)
        return "memcached unavailable"
    if config.grace_seconds:
        pool.set(grace_key(key), stored, expire=config.grace_seconds, flags=config.gzip_flag)
    if purged_since(ticket, tags):
        delete_everywhere([key], gone=True)
        return "purged during render"
    return None
