"""The RSS feed of the newest public posts, at ``/feed/``."""
from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Enclosure
from django.urls import reverse_lazy

from blog import photos, queries
from blog.models import Post
from blog.site import SITE_NAME, SITE_TAGLINE, display_name

FEED_LENGTH = 20


class LatestPostsFeed(Feed):
    """RSS 2.0 feed of the newest public posts, newest first."""

    title = SITE_NAME
    description = SITE_TAGLINE
    link = reverse_lazy("blog:home")
    feed_url = reverse_lazy("blog:feed")

    def items(self) -> list[Post]:
        """Return the newest public posts with their tags, in one query each."""
        return queries.feed_posts(FEED_LENGTH)

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

    def get_object(self, request, *args, **kwargs):
        self.request = request  # for absolute cover URLs
        return super().get_object(request, *args, **kwargs)

    def item_enclosures(self, item: Post) -> list[Enclosure]:
        """The cover photo, as RSS readers show it: its widest size in its own format."""
        size = photos.largest(item.cover) if item.cover else None
        if size is None:
            return []
        url = self.request.build_absolute_uri(item.cover.file.storage.url(size["name"]))
        return [Enclosure(url, str(size.get("bytes", 0)), size["format"])]
