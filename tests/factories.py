"""Small builders for content the tests need (real rows, saved through the models)."""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import slugify

from blog.models import Category, Post, Tag

_counter = itertools.count(1)


def make_user(username: str | None = None, **fields):
    username = username or f"writer{next(_counter)}"
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": username.title(), **fields}
    )
    return user


def make_category(name: str, parent: Category | None = None) -> Category:
    category, _ = Category.objects.get_or_create(
        slug=name.lower().replace(" ", "-"), defaults={"name": name, "parent": parent}
    )
    return category


def make_tag(name: str) -> Tag:
    tag, _ = Tag.objects.get_or_create(slug=name.lower().replace(" ", "-"), defaults={"name": name})
    return tag


def make_post(title: str | None = None, *, tags: Iterable[str] = (), category: Category | str | None = "News",
              author=None, status: str = Post.Status.PUBLISHED, ago: timedelta = timedelta(hours=1),
              body: str | None = None, **fields) -> Post:
    """Save a post ``ago`` before now; ``category`` is a Category or the name of one to file it under."""
    number = next(_counter)
    title = title or f"Story number {number}"
    if isinstance(category, str):
        category = make_category(category)
    post = Post.objects.create(
        title=title,
        slug=fields.pop("slug", f"{slugify(title) or 'story'}-{number}"),
        body=body if body is not None else f"<p>The body of {title}.</p>",
        status=status,
        published_at=timezone.now() - ago,
        author=author or make_user("writer"),
        category=category,
        **fields,
    )
    post.tags.set([make_tag(name) for name in tags])
    return post


def photo_bytes(width: int = 1200, height: int = 800, fmt: str = "JPEG", exif=None, color=(200, 60, 90)) -> bytes:
    """A real photo's bytes, made with Pillow (a gradient, so sizes differ by content)."""
    import io

    from PIL import Image as PILImage

    picture = PILImage.new("RGB", (width, height), color)
    for x in range(0, width, max(1, width // 12)):
        picture.paste((x * 255 // width, 120, 255 - x * 255 // width), (x, 0, x + max(1, width // 24), height))
    buffer = io.BytesIO()
    params = {"exif": exif.tobytes()} if exif is not None else {}
    picture.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def make_image(width: int = 1200, height: int = 800, *, alt_text: str = "A test photo", **fields):
    """A library photo saved through the model (so its sizes are made)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from blog.models import Image

    data = fields.pop("data", None) or photo_bytes(width, height, color=(next(_counter) * 37 % 256, 60, 90))
    upload = SimpleUploadedFile(fields.pop("name", "photo.jpg"), data, content_type="image/jpeg")
    return Image.objects.create(file=upload, alt_text=alt_text, **fields)


def make_page(title: str = "About us", slug: str | None = None, *, status: str = "published",
              show_in_footer: bool = True, body: str = "<p>Who we are.</p>", **fields):
    from blog.models import Page

    return Page.objects.create(title=title, slug=slug or title.lower().replace(" ", "-"), status=status,
                               show_in_footer=show_in_footer, body=body, **fields)
