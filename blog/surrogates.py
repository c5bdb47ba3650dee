"""The magazine's surrogate-key vocabulary: the names of the lists pages show.

Pages are tagged automatically with every Post, Category, Tag and author they render
(``blog.post:12``, see ``cachekeys.dependencies``); the read queries (``blog.queries``)
declare the list tags below for the lists they show, and ``blog.invalidation`` decides
which of them a change reaches. This module only names them, so both sides import it
and neither imports the other.
"""
from __future__ import annotations

ALL_POSTS = "blog.posts:all"  # every list of public posts: home, its pages, feed, sitemap
POSTS_MODIFIED = "blog.posts:modified"  # pages showing when posts were last modified
LATEST_POSTS = "blog.posts:latest"  # the sidebar's latest posts
ARCHIVE_MONTHS = "blog.posts:months"  # the sidebar's months with posts
POPULAR_TAGS = "blog.tags:popular"  # the sidebar's popular tags and their counts
NAV_CATEGORIES = "blog.categories:nav"  # the masthead's sections
ALL_CATEGORIES = "blog.categories:all"  # listings of every category (sitemap, API)
ALL_TAGS = "blog.tags:all"  # listings of every tag (sitemap, API)
# The lists every page shows, in its shared fragments (blog.fragments): fingerprinted
# before and after each change, and purged only when what they show changed.
SHARED_LISTS = (LATEST_POSTS, POPULAR_TAGS, ARCHIVE_MONTHS, NAV_CATEGORIES)


def category_posts(category_id: int) -> str:
    """Lists of the posts filed under a category or any category below it."""
    return f"blog.posts:category:{category_id}"


def tag_posts(tag_id: int) -> str:
    return f"blog.posts:tag:{tag_id}"


def author_posts(user_id: int) -> str:
    return f"blog.posts:author:{user_id}"


def month_posts(year: int, month: int) -> str:
    return f"blog.posts:month:{year:04d}-{month:02d}"


def post_page(post_id: int) -> str:
    """A post's own page: all that shows its body, and its newer/older neighbours."""
    return f"blog.post:{post_id}:page"
