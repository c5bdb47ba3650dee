"""The RSS feed of the newest public posts, at ``/feed/``."""
from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy

from cachekeys.dependencies import depends_on

from blog import cache, queries
from blog.models import Post
from blog.views import SITE_NAME, SITE_TAGLINE, display_name

FEED_LENGTH = 20


class LatestPostsFeed(Feed):
    """RSS 2.0 feed of the newest public posts, newest first."""

    title = SITE_NAME
    description = SITE_TAGLINE
    link = reverse_lazy("blog:home")
    feed_url = reverse_lazy("blog:feed")

    def items(self) -> list[Post]:
        """Return the newest public posts with their tags, in one query each."""
        depends_on(cache.ALL_POSTS, cache.POSTS_MODIFIED)  # which posts, and their updated dates
        return list(queries.public_posts().prefetch_related("tags")[:FEED_LENGTH])

    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        # The excerpt is plain text; the feed generator escapes it.
        return item.excerpt

    def item_pubdate(self, item: Post) -> datetime.datetime:
        return item.published_at

    def item_updateddate(self, item: Post) -> datetime.datetime:
        return item.updated_at

    def item_author_name(self, item: Post) -> str:
        return display_name(item.author)

    def item_categories(self, item: Post) -> list[str]:
        return [tag.name for tag in item.tags.all()]
