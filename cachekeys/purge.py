"""Purging cached pages by surrogate key, and the guard against storing a stale page.

A purge records a ``PurgeEvent`` per tag, then deletes the keys of every recorded page
with one of those tags, on every memcached node (one round trip a node). A render that
began before the purge sees the event and does not store; one that stored meanwhile
deletes its own key again (``cachekeys.store.store_guarded``), as memcache leases do.

Saves purge after their transaction commits (``schedule``): the admin saves a post,
then its tags, inside one ``atomic`` block, so purging at ``post_save`` would be early.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from cachekeys import metrics
from cachekeys.conf import get_config
from cachekeys.keys import url_key
from cachekeys.missing import ensure_token, token_key
from cachekeys.models import CachedPage, PageTag, PurgeEvent
from cachekeys.records import ALL, page_tag, record_purge
from cachekeys.store import delete_everywhere, get_pool

logger = logging.getLogger("cachekeys")

CHUNK = 500  # tags per IN (...) query, well under SQLite's variable limit
EVENT_RETENTION = timedelta(hours=1)


@dataclass
class PurgeReport:
    tags: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    failed_servers: list[str] = field(default_factory=list)


def purge_tags(tags: Iterable[str], keys: Iterable[str] = ()) -> PurgeReport:
    """Purge every recorded page showing any of ``tags`` (``"*"``: all), plus ``keys``."""
    report = PurgeReport(tags=set(tags), keys=set(keys))
    report.tags |= {page_tag(key) for key in report.keys}
    if not report.tags:
        return report
    began = time.monotonic()
    record_purge(report.tags)
    report.keys |= _recorded_keys(report.tags)
    # Every purge also drops every 404 the Nginx fronts keep (cachekeys.missing): what was
    # missing may exist now.
    prefix = get_config().key_prefix
    report.failed_servers = delete_everywhere(report.keys | {token_key(prefix)})
    ensure_token(get_pool(), prefix)  # 404s kept from now on are valid until the next purge
    keys = sorted(report.keys)
    for start in range(0, len(keys), CHUNK):
        CachedPage.objects.filter(key__in=keys[start:start + CHUNK]).delete()
    metrics.count_purge(len(report.tags), len(report.keys), get_pool().servers,  # the token: always
                        report.failed_servers, time.monotonic() - began)
    return report


def _recorded_keys(tags: set[str]) -> set[str]:
    if ALL in tags:
        return set(CachedPage.objects.values_list("key", flat=True))
    ordered, keys = sorted(tags), set()
    for start in range(0, len(ordered), CHUNK):  # an import purges thousands of tags
        chunk = ordered[start:start + CHUNK]
        keys |= set(PageTag.objects.filter(tag__in=chunk).values_list("page_id", flat=True))
    return keys


def purge_urls(urls: Iterable[str]) -> PurgeReport:
    """Purge the pages at absolute ``urls``, whether or not they were recorded."""
    rules = get_config().key_rules
    return purge_tags(set(), keys={url_key(url, rules.key_prefix, rules.tracking) for url in urls})


def purge_all() -> PurgeReport:
    """Delete every page this site recorded (never ``flush_all``: memcached may be shared)."""
    return purge_tags({ALL})


def prune(now: datetime | None = None) -> None:
    """Forget expired page records and old purge events."""
    now = now or timezone.now()
    CachedPage.objects.filter(expires_at__lt=now).delete()
    PurgeEvent.objects.filter(created_at__lt=now - EVENT_RETENTION).delete()


_pending = threading.local()


def schedule(tags: Iterable[str]) -> None:
    """Purge ``tags`` once the current transaction commits (at once outside one).

    Every call registers a callback, and the first to run purges the union of all tags
    scheduled so far: one purge, one round trip a node, per save. Tags of a transaction
    that rolls back are purged with the next one: harmless, and nothing is ever lost.
    """
    tags = set(tags)
    if not tags:
        return
    _pending.__dict__.setdefault("tags", set()).update(tags)
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    tags, _pending.tags = getattr(_pending, "tags", set()), set()
    if tags:
        try:
            purge_tags(tags)
        except Exception:  # a failed purge never fails the save that caused it
            metrics.count_purge_error()
            logger.exception("purge of %s failed", sorted(tags))
