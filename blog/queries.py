"""Read-side queries for the readers' site: every one starts from ``Post.objects.public()``.

Views, template tags, the feed and the sitemap ask here, so "what a reader may see" is
decided in one module and nothing renders a draft or a post scheduled for later. Each
list also declares its surrogate key (``blog.cache``), so the page showing it is purged
when a post joins or leaves the list.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from blog import cache
from blog.models import Category, Post, PostQuerySet, Tag
from cachekeys.dependencies import depends_on


def public_posts() -> PostQuerySet:
    """Return the public posts, newest first, with what a post card shows joined in."""
    return Post.objects.public().select_related("author", "category", "cover")


def latest_posts(limit: int = 5) -> list[Post]:
    """Return the ``limit`` newest public posts."""
    depends_on(cache.LATEST_POSTS)
    # Only what the sidebar shows: a joined category or author would tag every page with
    # it, and renaming one would purge pages that never print its name.
    return list(Post.objects.public().only("title", "slug", "published_at")[:limit])


def popular_tags(limit: int = 12) -> list[Tag]:
    """Return the tags on most public posts, each with a ``post_count``; unused tags are left out."""
    depends_on(cache.POPULAR_TAGS)
    counted = Tag.objects.annotate(
        post_count=Count("posts", filter=Q(posts__in=Post.objects.public().values("pk")))
    )
    return list(counted.filter(post_count__gt=0).order_by("-post_count", "name")[:limit])


def nav_categories() -> list[Category]:
    """Return the top-level categories, the ones the masthead's navigation links to."""
    depends_on(cache.NAV_CATEGORIES)
    return list(Category.objects.filter(parent__isnull=True).order_by("name"))


def archive_months(limit: int = 12) -> list[datetime.date]:
    """Return the first day of each month holding public posts, newest month first."""
    depends_on(cache.ARCHIVE_MONTHS)
    months = Post.objects.public().dates("published_at", "month", order="DESC")
    return list(months[:limit])


def descendant_ids(category: Category) -> set[int]:
    """Return the ids of ``category`` and every category below it, at any depth."""
    children: dict[int, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, frontier = {category.pk}, [category.pk]
    while frontier:
        # ``found`` doubles as the visited set, so a parent cycle cannot loop forever.
        fresh = [pk for pk in children.get(frontier.pop(), []) if pk not in found]
        found.update(fresh)
        frontier.extend(fresh)
    return found


def posts_in_category(category: Category) -> PostQuerySet:
    """Return the public posts filed under ``category`` or any of its subcategories."""
    depends_on(cache.category_posts(category.pk))
    return public_posts().filter(category_id__in=descendant_ids(category))


def posts_with_tag(tag: Tag) -> PostQuerySet:
    """Return the public posts carrying ``tag``."""
    depends_on(cache.tag_posts(tag.pk))
    return public_posts().filter(tags=tag)


def posts_by_author(author: AbstractBaseUser) -> PostQuerySet:
    """Return the public posts written by ``author``."""
    depends_on(cache.author_posts(author.pk))
    return public_posts().filter(author=author)


def posts_in_month(year: int, month: int) -> PostQuerySet:
    """Return the public posts published in ``month`` of ``year``, in the site's time zone."""
    depends_on(cache.month_posts(year, month))
    zone = timezone.get_current_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=zone)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return public_posts().filter(published_at__gte=start, published_at__lt=end)


def related_posts(post: Post, limit: int = 3) -> list[Post]:
    """Return other public posts from the same category tree, newest first."""
    if post.category_id is None:
        return []
    root = ([*post.category.ancestors(), post.category])[0]
    return list(posts_in_category(root).exclude(pk=post.pk)[:limit])


def adjacent_posts(post: Post) -> tuple[Post | None, Post | None]:
    """Return the public posts published just after and just before ``post``."""
    # A post published or moved next to it changes these: blog.cache purges its page.
    depends_on(cache.post_page(post.pk))
    others = public_posts().exclude(pk=post.pk)
    newer = others.filter(
        Q(published_at__gt=post.published_at) | Q(published_at=post.published_at, pk__gt=post.pk)
    ).order_by("published_at", "pk").first()
    older = others.filter(
        Q(published_at__lt=post.published_at) | Q(published_at=post.published_at, pk__lt=post.pk)
    ).order_by("-published_at", "-pk").first()
    return newer, older


def public_authors() -> QuerySet:
    """Return the users with at least one public post, by username."""
    depends_on(cache.ALL_POSTS)
    public_author_ids = Post.objects.public().values("author_id")
    return get_user_model().objects.filter(pk__in=public_author_ids).order_by("username")


def public_author(username: str) -> AbstractBaseUser | None:
    """Return the author called ``username`` if they have a public post, else None."""
    return public_authors().filter(username=username).first()


def public_tags() -> QuerySet:
    """Return the tags on at least one public post, by name."""
    depends_on(cache.ALL_POSTS, cache.ALL_TAGS)
    return Tag.objects.filter(posts__in=Post.objects.public().values("pk")).distinct().order_by("name")


def public_categories() -> list[Category]:
    """Return the categories whose page lists a public post: those filed to, and their parents."""
    depends_on(cache.ALL_POSTS, cache.ALL_CATEGORIES)
    used = set(
        Post.objects.public().exclude(category=None).values_list("category_id", flat=True)
    )
    categories = {category.pk: category for category in Category.objects.all()}
    listed: set[int] = set()
    for pk in used:
        listed.update(_with_ancestors(categories, pk))
    return sorted((categories[pk] for pk in listed), key=lambda category: category.slug)


def _with_ancestors(categories: dict[int, Category], pk: int) -> Iterable[int]:
    """Yield ``pk`` and its parents' ids, from an in-memory map so no query runs per level."""
    seen: set[int] = set()
    current: int | None = pk
    while current is not None and current not in seen and current in categories:
        seen.add(current)
        yield current
        current = categories[current].parent_id
