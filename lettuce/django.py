"""``from lettuce.django import django_url``, as Lettuce's Django integration offered it."""
from __future__ import annotations

from lettuce.urls import resolve_url


def django_url(url: str = "") -> str:
    """Return the absolute URL of ``url`` on the site under test.

    The site is Nginx in front of Django's live server (``world.base_url``): the URL a
    reader would use, so pages may come from the cache. ``world.live_server_url`` is
    Django alone, for the rare check that must skip the cache.
    """
    return resolve_url(url or "/")
