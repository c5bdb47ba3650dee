"""Posts, categories and tags, as readers may see them.

Every read goes through ``blog.queries``, which declares the surrogate keys of the lists
it returns, so a post joining or leaving one purges every cached answer showing it; the
objects rendered are tagged automatically (``cachekeys.dependencies``), so an edit to one
of them purges it too.
"""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from tastypie import fields
from tastypie.bundle import Bundle

from blog import covers, photos, queries
from blog.api.base import PAGING_PARAMS, PublicMeta, PublicResource
from blog.api.query import parse_slug
from blog.models import Category, Post, Tag
from blog.site import display_name

# The list filters a post list accepts, each a slug.
POST_FILTERS = ("category", "tag")


def category_link(category: Category) -> dict[str, str]:
    return {"name": category.name, "slug": category.slug, "url": category.get_absolute_url()}


def tag_link(tag: Tag) -> dict[str, str]:
    return {"name": tag.name, "slug": tag.slug, "url": tag.get_absolute_url()}


def cover_art(post: Post) -> dict[str, Any]:
    """Return a post's cover as data, so a script can draw the card the pages print."""
    return {
        "palette": covers.palette(post.slug),
        "view_box": covers.VIEW_BOX,
        "cells": [{"x": str(x), "y": str(y), "width": covers.CELL, "height": covers.CELL}
                  for x, y in covers.sprite_cells(post.slug)],
    }


def cover_photo(post: Post) -> dict[str, Any] | None:
    """Return a post's cover photo as the card's <picture> needs it, or None (the art is used)."""
    image = post.cover
    if image is None:
        return None
    src = photos.sources(image)
    return {"alt": image.alt_text, "src": src["src"], "srcset": src["srcset"], "webp": src["webp"],
            "sizes": photos.CARD_SIZES, "width": src["width"], "height": src["height"]}


class PostResource(PublicResource):
    """Public posts, newest first; ``?category=`` (with its subcategories) and ``?tag=``."""

    list_params = PAGING_PARAMS | frozenset(POST_FILTERS)

    url = fields.CharField(attribute="get_absolute_url", readonly=True)
    category = fields.DictField(readonly=True, null=True)
    tags = fields.ListField(readonly=True)
    author = fields.DictField(readonly=True)
    cover = fields.DictField(readonly=True)
    photo = fields.DictField(readonly=True, null=True)
    body_html = fields.CharField(attribute="body_html", readonly=True, use_in="detail")

    class Meta(PublicMeta):
        queryset = Post.objects.all()  # the model and fields; get_object_list filters
        resource_name = "post"
        fields = ["id", "title", "slug", "excerpt", "published_at", "reading_time"]

    def get_object_list(self, request: HttpRequest) -> QuerySet:
        # Built per request: "public" compares publication times with now.
        return queries.public_posts().prefetch_related("tags")

    def build_filters(self, filters: Any = None, ignore_bad_filters: bool = False) -> dict:
        """Read ``?category=`` and ``?tag=`` (slugs); ``apply_filters`` asks the queries."""
        filters = filters or {}
        return {name: parse_slug(name, filters[name]) for name in POST_FILTERS if name in filters}

    def apply_filters(self, request: HttpRequest, applicable_filters: dict) -> QuerySet:
        if "pk" in applicable_filters:  # a detail (obj_get adds the id from the URL)
            return queries.public_post_by_id(int(applicable_filters["pk"])).prefetch_related("tags")
        return queries.filtered_posts(**applicable_filters).prefetch_related("tags")

    def dehydrate_category(self, bundle: Bundle) -> dict[str, str] | None:
        category = bundle.obj.category
        return category_link(category) if category else None

    def dehydrate_tags(self, bundle: Bundle) -> list[dict[str, str]]:
        return [tag_link(tag) for tag in bundle.obj.tags.all()]

    def dehydrate_author(self, bundle: Bundle) -> dict[str, str]:
        author = bundle.obj.author
        username = author.get_username()
        return {"username": username, "name": display_name(author),
                "url": reverse("blog:author", kwargs={"username": username})}

    def dehydrate_cover(self, bundle: Bundle) -> dict[str, Any]:
        return cover_art(bundle.obj)

    def dehydrate_photo(self, bundle: Bundle) -> dict[str, Any] | None:
        return cover_photo(bundle.obj)


class CategoryResource(PublicResource):
    """Every category: the site's sections, each with a page, even before its first post."""

    parent = fields.ToOneField("self", "parent", null=True)
    url = fields.CharField(attribute="get_absolute_url", readonly=True)

    class Meta(PublicMeta):
        queryset = Category.objects.all()
        resource_name = "category"
        fields = ["id", "name", "slug", "description"]

    def get_object_list(self, request: HttpRequest) -> QuerySet:
        # The id breaks ties between equal names, so offsets page through a stable order.
        return queries.all_categories().select_related("parent").order_by("name", "pk")


class TagResource(PublicResource):
    """Tags on public posts: a tag only drafts carry would announce an unpublished story."""

    url = fields.CharField(attribute="get_absolute_url", readonly=True)

    class Meta(PublicMeta):
        queryset = Tag.objects.all()
        resource_name = "tag"
        fields = ["id", "name", "slug"]

    def get_object_list(self, request: HttpRequest) -> QuerySet:
        # Which tags are listed, and whether one has a page here, follows the posts.
        return queries.public_tags().order_by("name", "pk")
