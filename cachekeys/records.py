"""The database side of the page cache: which page shows what, and which purges ran.

A render takes a ticket when it starts; before and after storing, it asks whether a purge
of anything it shows began since (``purged_since``), so a page built from data read
before a purge is never left in memcached after it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from cachekeys.models import CachedPage, PageTag, PurgeEvent, PurgeSequence

ALL = "*"
# Not a page's tag: in a purge, it says what the pages showed is gone for readers
# (unpublished, deleted), so their grace copies are deleted too (cachekeys.deletes).
GONE = "cachekeys.gone"


def page_tag(key: str) -> str:
    """The tag every page carries for itself, so a purge by URL reaches a render under way."""
    return f"cachekeys.page:{key}"


@dataclass(frozen=True)
class RenderTicket:
    """Taken when a render starts: which purges it has already seen."""

    sequence: int


def take_ticket() -> RenderTicket:
    sequence = PurgeSequence.objects.values_list("value", flat=True).first() or 0
    return RenderTicket(sequence)


def purged_since(ticket: RenderTicket, tags: Iterable[str]) -> bool:
    """Return whether a purge of any of ``tags`` (or of everything) began after ``ticket``."""
    return PurgeEvent.objects.filter(sequence__gt=ticket.sequence, tag__in={*tags, ALL}).exists()


def record_purge(tags: Iterable[str]) -> int:
    """Number a purge of ``tags`` and record it; return its sequence number."""
    with transaction.atomic():
        counter, _ = PurgeSequence.objects.select_for_update().get_or_create(pk=1)
        counter.value += 1
        counter.save(update_fields=["value"])
        now = timezone.now()
        PurgeEvent.objects.bulk_create(
            [PurgeEvent(sequence=counter.value, tag=tag, created_at=now) for tag in sorted(set(tags))])
    return counter.value


def record_page(key: str, host: str, uri: str, tags: Iterable[str], ttl: int) -> None:
    """Write down which tags the page under ``key`` shows (before it is stored)."""
    now = timezone.now()
    with transaction.atomic():
        page, _ = CachedPage.objects.update_or_create(
            key=key, defaults={"host": host, "uri": uri, "stored_at": now,
                               "expires_at": now + timedelta(seconds=ttl)})
        page.tags.all().delete()
        PageTag.objects.bulk_create([PageTag(page=page, tag=tag) for tag in sorted(set(tags))])


