"""Purging the first tier: the pages each Nginx worker keeps in its own memory.

With ``NGINX_FIRST_TIER`` on, every Nginx answers hits from pages it read from memcached
in the last ``NGINX_FIRST_TIER_TTL`` seconds (``deploy/nginx/first_tier.lua``). A purge
must reach them too, or a save would return while an Nginx still serves the old page.
So after memcached's deletes, :func:`purge_first_tier` POSTs to every Nginx's purge
location (``NGINX_PURGE_URLS``), which bumps that Nginx's generation: no page it held
before is served again, and any page it reads afterwards comes from memcached, where the
purged keys are already gone.

An Nginx that cannot be reached is waited out instead: once the TTL has passed since the
deletes, nothing it read before them can still be served. Either way, when the purge
returns, every Nginx serves fresh pages; a down Nginx costs the editor up to one TTL.
"""
from __future__ import annotations

import http.client
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from cachekeys.conf import Config, get_config

logger = logging.getLogger("cachekeys")

# Nginx's cached clock may lag the real one by an event-loop turn; wait a little longer.
CLOCK_MARGIN = 0.05


def post_purge(url: str, timeout: float) -> bool:
    """POST to one Nginx's purge location; True when it answered 200."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("POST", parts.path or "/", body=b"", headers={"Host": parts.netloc})
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _unreached(urls: tuple[str, ...], timeout: float) -> list[str]:
    if len(urls) == 1:
        return [] if post_purge(urls[0], timeout) else list(urls)
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        answers = list(pool.map(lambda url: post_purge(url, timeout), urls))
    return [url for url, ok in zip(urls, answers) if not ok]


def purge_first_tier(deleted_at: float, config: Config | None = None) -> list[str]:
    """Make every Nginx's first tier forget what it read before ``deleted_at``.

    ``deleted_at`` is ``time.monotonic()`` once memcached's deletes were done. Returns the
    purge URLs that could not be reached (they were waited out).
    """
    config = config or get_config()
    if not config.nginx_first_tier:
        return []
    urls = config.nginx_purge_urls
    unreached = _unreached(urls, config.nginx_purge_timeout) if urls else []
    if unreached or not urls:  # no Nginx listed (check cachekeys.E020): wait them all out
        logger.warning("first tier purge missed Nginx %s; waiting out its %s s TTL",
                       ", ".join(unreached) or "(none listed)", config.nginx_first_tier_ttl)
        wait_out(deleted_at, float(config.nginx_first_tier_ttl))
    return unreached


def wait_out(deleted_at: float, ttl: float) -> None:
    """Sleep until everything read before ``deleted_at`` has expired from every first tier."""
    remaining = deleted_at + ttl + CLOCK_MARGIN - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
