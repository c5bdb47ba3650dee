"""Purging cached pages by surrogate key, and the guard against storing a stale page.

A purge records a ``PurgeEvent`` per tag, then deletes the keys of every recorded page
with one of those tags everywhere (``cachekeys.deletes``: every memcached node, every
Nginx first tier). A render that began before the purge sees the event and does not
store; one that stored meanwhile deletes its own key again
(``cachekeys.store.store_guarded``), as memcache leases do.

Saves purge after their transaction commits (``cachekeys.tracking``): the admin saves a
post, then its tags, inside one ``atomic`` block, so purging at ``post_save`` would be
early. The tag :data:`~cachekeys.records.GONE` in a purge says that something the pages
showed is gone for readers (an unpublished or deleted post): their grace copies go too.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from cachekeys import metrics
from cachekeys.conf import get_config
from cachekeys.deletes import delete_everywhere
from cachekeys.keys import url_key
from cachekeys.missing import ROUTED, ensure_token, kinds_purged, token_key
from cachekeys.models import CachedPage, PageTag, PurgeEvent
from cachekeys.pool import get_pool
from cachekeys.records import ALL, GONE, page_tag, record_purge

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
    # Read before the purge is numbered: a record written after this, by a render the
    # purge cannot have reached, is never deleted below (see _forget_records).
    recorded = _stored_at(report.keys | _recorded_keys(report.tags))
    record_purge(report.tags)
    report.keys |= _recorded_keys(report.tags)
    # Every purge also drops the 404s the Nginx fronts keep where a view answers (what was
    # missing may exist now), and those nothing routes to when an address was written for
    # them (cachekeys.missing).
    prefix = get_config().key_prefix
    tokens = {token_key(prefix, kind) for kind in kinds_purged(report.tags)}
    report.failed_servers = delete_everywhere(report.keys | tokens, gone=GONE in report.tags,
                                              everything=ALL in report.tags)
    ensure_token(get_pool(), prefix, ROUTED)  # 404s kept from now on are valid until the next purge
    _forget_records(recorded)
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


def _stored_at(keys: set[str]) -> dict[str, datetime]:
    ordered, stored = sorted(keys), {}
    for start in range(0, len(ordered), CHUNK):
        stored.update(CachedPage.objects.filter(key__in=ordered[start:start + CHUNK])
                      .values_list("key", "stored_at"))
    return stored


def _forget_records(recorded: dict[str, datetime]) -> None:
    """Delete the records read before the purge began, unless a render wrote them again since.

    The deletes take the tiers' window to return: a render that began after the purge was
    numbered may store its fresh page in that time, and its record is what the next purge
    finds it by (deleting it would leave the page in memcached, stale after the next
    change, for no purge to reach).
    """
    keys = sorted(recorded)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        now = CachedPage.objects.filter(key__in=chunk).values_list("key", "stored_at")
        unchanged = [key for key, stored_at in now if recorded[key] == stored_at]
        CachedPage.objects.filter(key__in=unchanged).delete()


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


def purge_quietly(purge: Callable[..., PurgeReport | None], *args) -> PurgeReport | None:
    """Run ``purge(*args)`` after a committed change; a failure is logged, never raised.

    The one place the rule lives: a failed purge never fails the save (or import) that
    caused it. What it missed is retried (``PendingDelete``) or expires on its own.
    """
    try:
        return purge(*args)
    except Exception:
        metrics.count_purge_error()
        logger.exception("purge after a committed change failed")
        return None
