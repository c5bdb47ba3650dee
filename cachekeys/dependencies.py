"""What a page shows, recorded while it renders: its surrogate keys ("tags").

While the middleware renders a page it opens a collection; every instance of a tracked
model built during the render adds its tag (``blog.post:12``) automatically, and views
add list tags (``blog.posts:category:3``) with :func:`depends_on`. When the page is stored,
its tags are recorded in the database, so a purge by tag finds every cached URL variant
(as Varnish xkey and Fastly surrogate keys do).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import models
from django.db.models.signals import post_init

_collected: ContextVar[set[str] | None] = ContextVar("cachekeys_collected", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[set[str]]:
    """Collect the tags of everything rendered inside the block."""
    tags: set[str] = set()
    token = _collected.set(tags)
    try:
        yield tags
    finally:
        _collected.reset(token)


def depends_on(*tags: str) -> None:
    """Declare that the page being rendered shows ``tags`` (no-op outside a render)."""
    collected = _collected.get()
    if collected is not None:
        collected.update(tags)


def instance_tag(model: type[models.Model] | models.Model, pk: object) -> str:
    return f"{model._meta.label_lower}:{pk}"


def _tag_instance(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    collected = _collected.get()
    if collected is not None and instance.pk is not None:
        collected.add(instance_tag(sender, instance.pk))


def track(*model_classes: type[models.Model]) -> None:
    """Tag every page that builds an instance of these models with that instance's tag."""
    for model in model_classes:
        post_init.connect(_tag_instance, sender=model, dispatch_uid=f"cachekeys-track-{model._meta.label}")
