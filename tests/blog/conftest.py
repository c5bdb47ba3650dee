"""Fixtures for the magazine's tests: real rows saved through the models."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from blog.models import Category, Post, Tag

_numbers = itertools.count(1)


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
    """Return a builder: ``make_post(title, ago=..., status=..., tags=[...], **fields)``."""

    def build(
        title: str | None = None,
        *,
        ago: timedelta = timedelta(hours=1),
        status: str = Post.Status.PUBLISHED,
        tags: list[str] = (),
        **fields,
    ) -> Post:
        number = next(_numbers)
        title = title or f"Story number {number}"
        fields.setdefault("slug", f"story-{number}")
        fields.setdefault("body", f"<p>The body of {title}.</p>")
        fields.setdefault("author", author)
        post = Post.objects.create(
            title=title, status=status, published_at=timezone.now() - ago, **fields
        )
        post.tags.set(
            [Tag.objects.get_or_create(slug=name.lower(), defaults={"name": name})[0] for name in tags]
        )
        return post

    return build


@pytest.fixture
def media(settings, tmp_path):
    """An empty MEDIA_ROOT of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
