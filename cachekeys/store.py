"""Putting a rendered page where Nginx will find it: compression, expiry, size, leases."""
from __future__ import annotations

import functools
import gzip
import logging
import random
import time
from collections.abc import Iterable

from django.utils import timezone

from cachekeys.conf import Config, get_config
from cachekeys.models import PendingDelete
from cachekeys.pool import MemcachedPool
from cachekeys.records import RenderTicket, purged_since, record_page
from cachekeys.tier import purge_first_tier

logger = logging.getLogger("cachekeys")


@functools.cache
def _pool_for(servers: tuple[str, ...], connect_timeout: float, io_timeout: float) -> MemcachedPool:
    return MemcachedPool(list(servers), connect_timeout, io_timeout)


def get_pool(config: Config | None = None) -> MemcachedPool:
    """Return the process's pool for the configured servers (one per distinct setting)."""
    config = config or get_config()
    return _pool_for(tuple(config.servers), config.connect_timeout, config.io_timeout)


def compress(body: bytes, level: int) -> bytes:
    # mtime=0: the same page always compresses to the same bytes.
    return gzip.compress(body, compresslevel=level, mtime=0)


def expiry(timeout: int, jitter: float, rng: random.Random | None = None) -> int:
    """Return ``timeout`` shortened by a random fraction up to ``jitter``; at least 1 s."""
    rng = rng or random
    return max(1, int(timeout * (1 - rng.uniform(0, jitter))))


def store_guarded(ticket: RenderTicket, key: str, host: str, uri: str, body: bytes,
                  tags: set[str], ttl: int, config: Config | None = None) -> str | None:
    """Store a page unless a purge of what it shows began during its render.

    Order matters: record the tags (so a purge from now on finds the key), check for a
    purge, store, then check again and delete if one slipped in between.
    """
    config = config or get_config()
    value = compress(body, config.gzip_level)
    if len(value) > config.max_item_size:
        return "too large"  # memcached refuses items over its -I limit (1 MB by default)
    record_page(key, host, uri, tags, ttl)
    if purged_since(ticket, tags):
        return "purged during render"
    pool = get_pool(config)
    if not pool.set(key, value, expire=ttl, flags=config.gzip_flag):
        logger.warning("could not store page %s in memcached; serving it uncached", key)
        return "memcached unavailable"
    if purged_since(ticket, tags):
        delete_everywhere([key])
        return "purged during render"
    return None


def delete_everywhere(keys: Iterable[str]) -> list[str]:
    """Delete ``keys`` on every node; remember what a down node missed."""
    keys = sorted(set(keys))
    if not keys:
        return []
    retry_pending()
    failed = get_pool().delete_many(keys)
    if failed:
        _remember(failed, keys)
        logger.warning("purge of %d keys missed memcached %s; will retry", len(keys), ", ".join(failed))
    # Only now: an Nginx reading memcached after this finds the keys gone.
    purge_first_tier(deleted_at=time.monotonic())
    return failed


def _remember(servers: list[str], keys: list[str]) -> None:
    now = timezone.now()
    rows = [PendingDelete(server=s, key=k, created_at=now) for s in servers for k in keys]
    PendingDelete.objects.bulk_create(rows, ignore_conflicts=True)


def retry_pending() -> int:
    """Retry deletes a down node missed; return how many are still pending."""
    pending = list(PendingDelete.objects.values_list("server", "key")[:10_000])
    if not pending:
        return 0
    pool = get_pool()
    by_server: dict[str, list[str]] = {}
    for server, key in pending:
        by_server.setdefault(server, []).append(key)
    deleted = False
    for server, keys in by_server.items():
        # A node no longer configured holds nothing Nginx reads: forget its deletes.
        if server in pool.servers and not pool.delete_on(server, keys):
            continue
        deleted = True
        PendingDelete.objects.filter(server=server, key__in=keys).delete()
    if deleted:  # a node back with old pages may have lent them to a first tier
        purge_first_tier(deleted_at=time.monotonic())
    return PendingDelete.objects.count()
