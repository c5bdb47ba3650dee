"""Fixtures for the magazine's tests: real rows saved through the models."""
from __future__ import annotations

import functools
from collections.abc import Callable
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from blog.models import Category, Post
from tests import factories


@pytest.fixture
def author(db):
    return get_user_model().objects.create_user(
        username="ada", first_name="Ada", last_name="Lovelace", password="unused-password"
    )


@pytest.fixture
def games(db) -> Category:
    return Category.objects.create(name="Games", slug="games", description="All about games.")


@pytest.fixture
def pc(games: Category) -> Category:
    return Category.objects.create(name="PC", slug="pc", parent=games)


@pytest.fixture
def make_post(db, author) -> Callable[..., Post]:
    """Return ``tests.factories.make_post`` writing as ``author`` and filing nowhere unless told."""
    return functools.partial(factories.make_post, author=author, category=None)


@pytest.fixture
def purged() -> Callable[[Callable[[], object]], list[set[str]]]:
    """Return ``purged(work)``: run ``work``, send no purge, and give the tag sets purged, one per purge."""
    def purged(work: Callable[[], object]) -> list[set[str]]:
        calls: list[set[str]] = []
        with mock.patch("cachekeys.tracking.purge_tags", side_effect=lambda tags: calls.append(set(tags))):
            work()
        return calls

    return purged


@pytest.fixture
def media(settings, tmp_path):
    """An empty MEDIA_ROOT of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no comments counted against its address."""
    from django.core.cache import caches

    caches["ratelimit"].clear()
