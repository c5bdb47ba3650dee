"""Posts, categories and tags, as readers may see them.

Each list declares the surrogate keys of the lists it shows (``blog.cache``), so a post
joining or leaving it purges every cached page of it; the objects it renders are tagged
automatically (``cachekeys.dependencies``), so an edit to one of them purges it too.
"""
from __future__ import annotations

from typing import Any

from defusedxml import ElementTree
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from tastypie import fields
from tastypie.bundle import Bundle

from blog import queries
from blog.api.base import PAGING_PARAMS, PublicMeta, PublicResource
from blog.api.query import parse_slug
from blog.cache import (
    ALL_CATEGORIES,
    ALL_POSTS,
    ALL_TAGS,
    category_posts,
    post_page,
    tag_posts,
)
from blog.models import Category, Post, Tag
from blog.templatetags.blog_tags import cover, sprite
from blog.views import display_name
from cachekeys.dependencies import depends_on

# Matches no post: the lookup for a filter naming a category or tag that does not exist.
NOTHING = {"pk__in": []}


def category_link(category: Category) -> dict[str, str]:
    return {"name": category.name, "slug": category.slug, "url": category.get_absolute_url()}


def tag_link(tag: Tag) -> dict[str, str]:
    return {"name": tag.name, "slug": tag.slug, "url": tag.get_absolute_url()}


def cover_art(post: Post) -> dict[str, Any]:
    """Return a post's cover as data, so a script can draw the card the pages print.

    Read from the template filters' own output, so it stays what the pages show.
    """
    svg = ElementTree.fromstring(str(sprite(post)))
    return {
        "palette": cover(post),
        "view_box": svg.get("viewBox"),
        "cells": [dict(rect.attrib) for rect in svg if rect.tag.endswith("rect")],
    }


class PostResource(PublicResource):
    """Public posts, newest first; ``?category=`` (with its subcategories) and ``?tag=``."""

    list_params = PAGING_PARAMS | {"category", "tag"}

    url = fields.CharField(attribute="get_absolute_url", readonly=True)
    category = fields.DictField(readonly=True, null=True)
    tags = fields.ListField(readonly=True)
    author = fields.DictField(readonly=True)
    cover = fields.DictField(readonly=True)
    body_html = fields.CharField(attribute="body_html", readonly=True, use_in="detail")

    class Meta(PublicMeta):
        queryset = Post.objects.all()  # the model and fields; get_object_list filters
        resource_name = "post"
        fields = ["id", "title", "slug", "excerpt", "published_at", "reading_time"]

    def get_object_list(self, request: HttpRequest) -> QuerySet:
        # Built per request: "public" compares publication times with now.
        return queries.public_posts().prefetch_related("tags")

    def build_filters(self, filters: Any = None, ignore_bad_filters: bool = False) -> dict:
        """Turn ``?category=`` and ``?tag=`` into lookups, and declare the list shown."""
        filters = filters or {}
        lookups: dict[str, Any] = {}
        shown: list[str] = []
        if "category" in filters:
            lookup, key = category_filter(parse_slug("category", filters["category"]))
            lookups.update(lookup)
            shown.append(key)
        if "tag" in filters:
            lookup, key = tag_filter(parse_slug("tag", filters["tag"]))
            lookups.update(lookup)
            shown.append(key)
        depends_on(*(shown or [ALL_POSTS]))
        return lookups

    def get_detail(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        depends_on(post_page(int(kwargs["pk"])))  # the body: an edit to it purges only these
        return super().get_detail(request, **kwargs)

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


def category_filter(slug: str) -> tuple[dict[str, Any], str]:
    """Return the lookup for posts under the category ``slug``, and the list's key."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        return NOTHING, ALL_CATEGORIES  # creating a category with this slug purges it
    # category_posts(id) reaches lists of the category and of everything below it.
    return {"category_id__in": queries.descendant_ids(category)}, category_posts(category.pk)


def tag_filter(slug: str) -> tuple[dict[str, Any], str]:
    """Return the lookup for posts carrying the tag ``slug``, and the list's key."""
    tag_id = Tag.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if tag_id is None:
        return NOTHING, ALL_TAGS  # creating a tag with this slug purges it
    return {"tags": tag_id}, tag_posts(tag_id)


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
        return Category.objects.select_related("parent").order_by("name", "pk")

    def build_filters(self, filters: Any = None, ignore_bad_filters: bool = False) -> dict:
        depends_on(ALL_CATEGORIES)
        return {}


class TagResource(PublicResource):
    """Tags on public posts: a tag only drafts carry would announce an unpublished story."""

    url = fields.CharField(attribute="get_absolute_url", readonly=True)

    class Meta(PublicMeta):
        queryset = Tag.objects.all()
        resource_name = "tag"
        fields = ["id", "name", "slug"]

    def get_object_list(self, request: HttpRequest) -> QuerySet:
        return queries.public_tags().order_by("name", "pk")

    def dispatch(self, request_type: str, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        # Which tags are listed, and whether one has a page here, follows the posts.
        depends_on(ALL_TAGS, ALL_POSTS)
        return super().dispatch(request_type, request, **kwargs)
