"""``/sitemap.xml``: every public post, and the category, tag and author pages listing them."""
from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from blog import queries
from blog.models import Category, Post


class HomeSitemap(Sitemap):
    """The front page."""

    changefreq = "hourly"
    priority = 1.0

    def items(self) -> list[str]:
        return ["blog:home"]

    def location(self, item: str) -> str:
        return reverse(item)


class PostSitemap(Sitemap):
    """Every public post, with the time it last changed."""

    changefreq = "weekly"
    priority = 0.8

    def items(self) -> QuerySet:
        return queries.sitemap_posts()

    def lastmod(self, item: Post) -> datetime.datetime:
        return item.updated_at


class CategorySitemap(Sitemap):
    """Category pages with at least one public post in them or below them."""

    changefreq = "daily"
    priority = 0.5

    def items(self) -> list[Category]:
        return queries.public_categories()


class TagSitemap(Sitemap):
    """Tag pages with at least one public post."""

    changefreq = "daily"
    priority = 0.4

    def items(self) -> QuerySet:
        return queries.public_tags()


class AuthorSitemap(Sitemap):
    """Author pages, which exist only for authors with a public post."""

    changefreq = "weekly"
    priority = 0.3

    def items(self) -> QuerySet:
        return queries.public_authors()

    def location(self, item: AbstractBaseUser) -> str:
        return reverse("blog:author", kwargs={"username": item.get_username()})


class PageSitemap(Sitemap):
    """Published standalone pages (About, Contact)."""

    changefreq = "monthly"
    priority = 0.5

    def items(self) -> QuerySet:
        from blog import pages

        return pages.public_pages().only("path", "updated_at")

    def lastmod(self, item) -> datetime.datetime:
        return item.updated_at


SITEMAPS: dict[str, type[Sitemap]] = {
    "home": HomeSitemap,
    "posts": PostSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
    "pages": PageSitemap,
}
