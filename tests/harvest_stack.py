"""What harvest serves the magazine through (the ``HARVEST_STACK`` of ``tests.settings``).

A private memcached and a standalone Nginx (``cachekeys.testing.Stack``) in front of the
live server, with Django storing its pages in that memcached, so a scenario sees exactly
what readers get.
"""
from __future__ import annotations

from django.conf import settings
from django.test import override_settings

from cachekeys.testing import Stack


class CachedSite:
    """Nginx and memcached in front of the live server at ``app_address``."""

    def __init__(self, app_address: str) -> None:
        self.stack = Stack(app=[app_address])
        self._override = None

    def __str__(self) -> str:
        return "Nginx and memcached"

    @property
    def base_url(self) -> str:
        return self.stack.base_url

    @property
    def memcached_servers(self) -> list[str]:
        return self.stack.memcached_servers

    def flush(self) -> None:
        self.stack.flush()

    def __enter__(self) -> "CachedSite":
        self.stack.__enter__()
        # Django must store pages in the memcached this Nginx reads.
        self._override = override_settings(
            CACHEKEYS={**settings.CACHEKEYS, "SERVERS": self.stack.memcached_servers})
        self._override.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._override is not None:
                self._override.disable()
        finally:
            self.stack.__exit__(*exc)
