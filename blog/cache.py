"""The magazine's surrogate keys: which cached pages a change to its content reaches.

Pages are tagged automatically with every Post, Category, Tag and author they rendered
(``blog.post:12``, see ``cachekeys.dependencies``); views add the list tags below for the
lists they show, so a post joining or leaving a list reaches every page of that list.
"""
from __future__ import annotations

ALL_POSTS = "blog.posts:all"  # every list of public posts: home, its pages, feed, sitemap
LATEST_POSTS = "blog.posts:latest"  # the sidebar's latest posts
POPULAR_TAGS = "blog.tags:popular"  # the sidebar's popular tags
ALL_CATEGORIES = "blog.categories:all"  # navigation and category listings
ALL_TAGS = "blog.tags:all"


def category_posts(category_id: int) -> str:
    return f"blog.posts:category:{category_id}"


def tag_posts(tag_id: int) -> str:
    return f"blog.posts:tag:{tag_id}"


def author_posts(user_id: int) -> str:
    return f"blog.posts:author:{user_id}"


def month_posts(year: int, month: int) -> str:
    return f"blog.posts:month:{year:04d}-{month:02d}"
