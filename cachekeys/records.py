"""The database side of the page cache: which page shows what, and which purges ran.

A render takes a ticket when it starts; before and after storing, it asks whether a purge
of anything it shows began since (``purged_since``), so a page built from data read
before a purge is never left in memcached after it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from cachekeys.models import CachedPage, PageTag, PurgeEvent

ALL = "*"
# A purge's event may be numbered before a render reads the sequence and committed just
# after (PostgreSQL hands out ids before commit); events this recent count regardless.
EVENT_MARGIN = timedelta(seconds=2)


def page_tag(key: str) -> str:
    """The tag every page carries for itself, so a purge by URL reaches a render under way."""
    return f"cachekeys.page:{key}"


@dataclass(frozen=True)
class RenderTicket:
    """Taken when a render starts: which purges it has already seen."""

    sequence: int
    started: datetime


def take_ticket() -> RenderTicket:
    sequence = PurgeEvent.objects.aggregate(last=Max("id"))["last"] or 0
    return RenderTicket(sequence, timezone.now())


def purged_since(ticket: RenderTicket, tags: Iterable[str]) -> bool:
    """Return whether a purge of any of ``tags`` (or of everything) began after ``ticket``."""
    recent = Q(id__gt=ticket.sequence) | Q(created_at__gte=ticket.started - EVENT_MARGIN)
    return PurgeEvent.objects.filter(recent, tag__in={*tags, ALL}).exists()


def record_page(key: str, host: str, uri: str, tags: Iterable[str], ttl: int) -> None:
    """Write down which tags the page under ``key`` shows (before it is stored)."""
    now = timezone.now()
    with transaction.atomic():
        page, _ = CachedPage.objects.update_or_create(
            key=key, defaults={"host": host, "uri": uri, "stored_at": now,
                               "expires_at": now + timedelta(seconds=ttl)})
        page.tags.all().delete()
        PageTag.objects.bulk_create([PageTag(page=page, tag=tag) for tag in sorted(set(tags))])


