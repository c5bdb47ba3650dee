"""Deleting pages everywhere a reader could be served them, once per purge.

One call of :func:`delete_everywhere` does the whole job, in this order:

1. retry the deletes a down node missed earlier (``PendingDelete``);
2. delete the keys on every memcached node, one round trip a node (a node skipped while
   down may come back still holding a copy), and their grace copies too when what they
   showed is gone (unpublished, deleted): such a page is never served again from any copy;
3. remember what a node missed, for ``cache_maintain`` and the next purge to retry;
4. tell every Nginx's first tier (:func:`announce`), and wait until each one knows.

Reaching Nginx needs no list of fronts. Each Nginx already reads memcached; it polls a
small purge log there every ``NGINX_PURGE_POLL_SECONDS`` (``deploy/nginx/first_tier.lua``):
on every node a counter (``<prefix>cachekeys:purges``), a random epoch beside it, and one
record per number listing the purged keys (``*``: all). A front applies the records it
has not seen (deleting those keys from its tier: a publish empties only what changed),
forgets its whole tier when records are missing or the counter went back or its epoch
changed (a restarted node), and stamps when its last complete poll *started*. It serves
from its tier only while that stamp is younger than :attr:`Config.purge_window` (two
polls and a margin), so a front that cannot read the log stops using its tier rather
than serve pages it was not told about.

The save then waits that window after the record is written: any tier hit after the
save returns is vouched for by a poll that started after the record existed. Only
durations are compared, each on its own machine's monotonic clock, never one clock
against another. A front's poll counts only if every node answered, so a record that
reached at least one node reaches every front that serves from its tier; only when the
deletes reached a node but no node took the record does the save wait out the tier's TTL.
"""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable

from django.utils import timezone

from cachekeys.conf import Config, get_config
from cachekeys.models import PendingDelete
from cachekeys.pool import MemcachedPool, NodeUnavailable, get_pool

logger = logging.getLogger("cachekeys")

GRACE_PREFIX = "grace:"
# Keys in one record; a purge of more (everything, an import) tells the tiers "forget all",
# which is cheaper for them than deleting keys one by one and keeps the record small.
MAX_RECORD_KEYS = 10_000
# How long a record stays: a front that fell further behind forgets its whole tier.
RECORD_SECONDS = 600


def grace_key(key: str) -> str:
    """The key of a page's grace copy (``GRACE_SECONDS``), served while Django is down."""
    return GRACE_PREFIX + key


def log_keys(prefix: str) -> tuple[str, str, str]:
    """The purge log's counter, epoch and record-key prefix for ``KEY_PREFIX``."""
    base = f"{prefix}cachekeys:purges"
    return base, base + ":epoch", base + ":"


def delete_everywhere(keys: Iterable[str], gone: bool = False, everything: bool = False) -> list[str]:
    """Delete ``keys`` on every node and every first tier; return the nodes that missed it.

    ``gone``: what the pages showed no longer exists for readers, so their grace copies go
    too. Otherwise grace copies stay (an edited page may still be served while Django is
    down, as it was the moment before the edit). ``everything``: a purge of all, so the
    tiers forget all they hold (the 404s and redirects they keep too).
    """
    keys = sorted(set(keys))
    if not keys:
        return []
    retry_pending()
    doomed = keys + [grace_key(key) for key in keys] if gone else keys
    pool = get_pool()
    failed = pool.delete_many(doomed)
    if failed:
        _remember(failed, doomed)
        logger.warning("purge of %d keys missed memcached %s; will retry", len(keys), ", ".join(failed))
    announce(keys, deleted_somewhere=len(failed) < len(pool.servers), everything=everything)
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
    done: list[str] = []
    for server, keys in by_server.items():
        # A node no longer configured holds nothing Nginx reads: forget its deletes.
        if server in pool.servers and not pool.delete_on(server, keys):
            continue
        done += keys
        PendingDelete.objects.filter(server=server, key__in=keys).delete()
    if done:  # a node back with old pages may have lent them to a first tier
        announce([key for key in done if not key.startswith(GRACE_PREFIX)])
    return PendingDelete.objects.count()


def announce(keys: list[str], deleted_somewhere: bool = True, config: Config | None = None,
             everything: bool = False) -> int:
    """Write a purge record of ``keys`` to every node, then wait until every tier knows.

    Returns how many nodes took the record. Nothing is written with the first tier off.
    """
    config = config or get_config()
    if not config.nginx_first_tier or not keys:
        return 0
    pool = get_pool(config)
    payload = b"*" if everything or len(keys) > MAX_RECORD_KEYS else " ".join(keys).encode("ascii")
    took = sum(append_record(pool, server, payload, config.key_prefix) for server in pool.servers)
    if took:
        wait(config.purge_wait)
    elif deleted_somewhere:
        logger.warning("no memcached node took the purge record; waiting out the first tier's "
                       "%s s TTL", config.nginx_first_tier_ttl)
        wait(float(config.nginx_first_tier_ttl))
    return took


def append_record(pool: MemcachedPool, server: str, payload: bytes, prefix: str) -> bool:
    """Append one record to ``server``'s purge log; False if the node could not take it."""
    counter, epoch, record = log_keys(prefix)
    try:
        number = pool.call(server, "incr", counter, 1, noreply=False)
        if number is None:  # never written, or the node restarted: a new epoch tells fronts
            pool.call(server, "set", epoch, secrets.token_hex(8).encode(), expire=0, noreply=False)
            pool.call(server, "add", counter, b"0", expire=0, noreply=False)
            number = pool.call(server, "incr", counter, 1, noreply=False)
        if number is None:
            return False
        return bool(pool.call(server, "set", f"{record}{int(number)}", payload,
                              expire=RECORD_SECONDS, noreply=False))
    except NodeUnavailable:
        return False


def wait(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
