"""URLs in steps: relative ones are read against the site under test.

Its own module, with nothing but ``world``, so web steps and ``lettuce.django`` need
neither behave nor Django's test runner to resolve a URL.
"""
from __future__ import annotations

from urllib.parse import urljoin

from lettuce.world import world

# Left as written: already absolute, or not a place on the site.
ABSOLUTE_SCHEMES = ("http://", "https://", "file://", "about:", "data:")


def resolve_url(url: str) -> str:
    """Return ``url`` made absolute against the site under test (``world.base_url``)."""
    if url.startswith(ABSOLUTE_SCHEMES):
        return url
    base = getattr(world, "base_url", None)
    if not base:
        raise AssertionError(f"cannot open {url!r}: this run has no server (-S/--no-server)")
    return urljoin(base, url)
