"""Fixtures that start the real stack: memcached, gunicorn and Nginx on loopback ports."""
from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from cachekeys.testing import Gunicorn, Memcached, Stack


def database_url() -> str:
    """The test database as a URL gunicorn can open (what the tests write, it reads)."""
    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    # NAME is the test database (test_<name>) by now: pytest-django created it.
    user, password = quote(settings_dict["USER"] or "", safe=""), quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict["HOST"] or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def app_env(stack: Stack) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "MEMCACHED_SERVERS": ",".join(stack.memcached_servers),
        "STATIC_ROOT": str(stack.static_root),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TEST_RATELIMIT_MEMCACHED": "1",
        "DEBUG": "0",
    }


@contextlib.contextmanager
def running_site(memcached_nodes: int = 1, app_servers: int = 1, workers: int = 2) -> Iterator[Stack]:
    """Nginx and memcached in front of gunicorn app servers reading the test database.

    ``workers`` is per app server: concurrency tests need more requests in Django at
    once than the default two sync workers take.
    """
    stack = Stack(memcached_nodes=memcached_nodes)
    apps = [Gunicorn(env={}, log=Path(stack.run_dir) / f"gunicorn-{i}.log", workers=workers)
            for i in range(app_servers)]
    stack.set_app([app.address for app in apps])
    with stack, contextlib.ExitStack() as running:
        for app in apps:
            app.env = app_env(stack)
            app.start()
            running.callback(app.stop)
        yield stack


@pytest.fixture(scope="session")
def stack_session(django_db_setup, django_db_blocker) -> Iterator[Stack]:
    """The site behind Nginx and memcached, for the whole session."""
    with django_db_blocker.unblock(), running_site() as stack:
        yield stack


@pytest.fixture
def make_site(transactional_db) -> Iterator:
    """Start a private site (own memcached nodes and app servers) a test may break."""
    with contextlib.ExitStack() as sites:

        def start(**options) -> Stack:
            stack = sites.enter_context(running_site(**options))
            sites.enter_context(override_settings(
                CACHEKEYS={**settings.CACHEKEYS, "SERVERS": stack.memcached_servers}))
            return stack

        yield start


@pytest.fixture
def stack(stack_session: Stack, transactional_db) -> Iterator[Stack]:
    """The running stack with an empty cache; this process purges the same memcached."""
    stack_session.flush()
    with override_settings(CACHEKEYS={**settings.CACHEKEYS, "SERVERS": stack_session.memcached_servers}):
        yield stack_session


@pytest.fixture
def memcached() -> Iterator[Memcached]:
    node = Memcached().start()
    try:
        yield node
    finally:
        node.stop()


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remove the photos this run uploaded (tests.settings gives each run its own folder)."""
    media = Path(settings.MEDIA_ROOT)
    if media.name == f"magazine-media-{os.getpid()}":
        shutil.rmtree(media, ignore_errors=True)
