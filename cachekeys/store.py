"""Putting a rendered page where Nginx will find it: compression, expiry, size."""
from __future__ import annotations

import functools
import gzip
import logging
import random

from cachekeys.conf import Config, get_config
from cachekeys.pool import MemcachedPool

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


def store_page(key: str, body: bytes, ttl: int, config: Config | None = None) -> str | None:
    """Store ``body`` under ``key``; return why it was not stored, or None."""
    config = config or get_config()
    value = compress(body, config.gzip_level)
    if len(value) > config.max_item_size:
        return "too large"  # memcached refuses items over its -I limit (1 MB by default)
    if not get_pool(config).set(key, value, expire=ttl, flags=config.gzip_flag):
        logger.warning("could not store page %s in memcached; serving it uncached", key)
        return "memcached unavailable"
    return None
