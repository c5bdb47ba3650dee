"""The sites the benchmark reads: the demo site, grown fast to any size, and its every page.

``grow_site`` clones the seeded posts with ``bulk_create`` (no signal, no purge per post)
then purges everything once, as an import would; ``site_pages`` lists every URL a reader
or a crawler can reach by following the site's own links, pagination included.
"""
from __future__ import annotations

import datetime
import math
import random

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from blog import queries
from blog.models import Post
from blog.views import POSTS_PER_PAGE
from cachekeys.purge import purge_all

BATCH = 2000
SPREAD = datetime.timedelta(days=10 * 365)  # a big magazine's archive: ten years of months


def grow_site(total_posts: int, seed: int = 12) -> int:
    """Clone the published posts until ``total_posts`` exist; return how many were added."""
    templates = list(Post.objects.public().prefetch_related("tags"))
    missing = total_posts - Post.objects.count()
    if missing <= 0 or not templates:
        return 0
    rng, now = random.Random(seed), timezone.now()
    Through = Post.tags.through
    added = 0
    with transaction.atomic():
        while added < missing:
            batch = [_clone(rng.choice(templates), added + n, now, rng) for n in range(min(BATCH, missing - added))]
            created = Post.objects.bulk_create([post for post, _ in batch])
            Through.objects.bulk_create([Through(post_id=post.pk, tag_id=tag_id)
                                         for post, (_, tag_ids) in zip(created, batch) for tag_id in tag_ids])
            added += len(created)
    purge_all()  # what every page shows (counts, latest posts) changed: one purge, as an import does
    return added


def _clone(template: Post, number: int, now: datetime.datetime, rng: random.Random) -> tuple[Post, list[int]]:
    post = Post(
        title=f"{template.title} ({number + 2})", slug=f"{template.slug[:180]}-{number + 2}",
        body=template.body, body_html=template.body_html, excerpt=template.excerpt,
        reading_time=template.reading_time, status=Post.Status.PUBLISHED,
        published_at=now - datetime.timedelta(seconds=rng.randint(7200, int(SPREAD.total_seconds()))),
        author_id=template.author_id, category_id=template.category_id,
    )
    return post, [tag.pk for tag in template.tags.all()]


def _pages(count: int) -> int:
    return max(1, math.ceil(count / POSTS_PER_PAGE))


def _paginated(uri: str, count: int) -> list[str]:
    return [uri] + [f"{uri}?page={n}" for n in range(2, _pages(count) + 1)]


def site_pages() -> list[str]:
    """Every page of the site, by the links it prints: the home page first, then the lists
    and their pages (the site's own queries), every public post, the feed and the sitemap."""
    uris = _paginated(reverse("blog:home"), queries.public_posts().count())
    for category in queries.public_categories():
        uris += _paginated(category.get_absolute_url(), queries.posts_in_category(category).count())
    for tag in queries.public_tags():
        uris += _paginated(tag.get_absolute_url(), queries.posts_with_tag(tag).count())
    for person in queries.public_authors():
        uris += _paginated(reverse("blog:author", kwargs={"username": person.get_username()}),
                           queries.posts_by_author(person).count())
    months = queries.public_posts().annotate(month=TruncMonth("published_at")).values("month").annotate(n=Count("id"))
    for row in months:
        uris += _paginated(reverse("blog:archive", kwargs={"year": row["month"].year, "month": row["month"].month}),
                           row["n"])
    uris += [post.get_absolute_url() for post in queries.public_posts().select_related(None).only("slug")]
    uris += [reverse("blog:feed"), reverse("blog:sitemap")]
    return list(dict.fromkeys(uris))
