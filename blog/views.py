"""The readers' pages.

Every page here is cached whole and served by Nginx to every later reader, so a view may
only depend on the URL: nothing reads the session, the user, the CSRF token or messages,
and nothing renders the time of the request. A bad ``?page=`` is a 404, so one page of
posts has exactly one URL per number instead of every junk value caching a copy of page 1.
"""
from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, render
from django.template import loader

from blog import cache, queries
from blog.models import Category, Tag
from cachekeys.dependencies import depends_on

SITE_NAME = "Respawn"
SITE_TAGLINE = "Games, hardware and the culture around them"
POSTS_PER_PAGE = 10
# Strict on purpose: int() would also accept "01", " 1" and "+1", each a distinct cache key.
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")
# Month bounds must stay inside datetime's range (years 1..9999) with a month to spare.
_ARCHIVE_YEARS = range(1, 9999)


def paginate(request: HttpRequest, posts: QuerySet) -> Page:
    """Return the page of ``posts`` that ``?page=`` asks for, or raise Http404."""
    raw = request.GET.get("page", "1")
    if not _PAGE_NUMBER.fullmatch(raw):
        raise Http404("The page number must be a positive whole number.")
    try:
        return Paginator(posts, POSTS_PER_PAGE).page(int(raw))
    except EmptyPage as error:
        raise Http404("There is no such page.") from error


def unpaginated(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Make ``?page=`` a 404 on a view that has no pages.

    The page cache keeps ``page`` in its keys, so ``/posts/x/?page=N`` would otherwise store
    one identical copy per N: a way to flush real pages out of memcached.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if "page" in request.GET:
            raise Http404("This page has no pages.")
        return view(request, *args, **kwargs)

    return wrapped


def home(request: HttpRequest) -> HttpResponse:
    """Show the newest posts, the first one on page 1 as the lead story."""
    depends_on(cache.ALL_POSTS)
    page = paginate(request, queries.public_posts())
    posts = list(page.object_list)
    lead = posts.pop(0) if page.number == 1 and posts else None
    context = {"page": page, "lead": lead, "posts": posts, "nav_home": True}
    return render(request, "blog/home.html", context)


@unpaginated
def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show one public post; a draft or a scheduled post is a 404 like a missing one."""
    post = get_object_or_404(
        queries.public_posts().select_related("category__parent").prefetch_related("tags"),
        slug=slug,
    )
    newer, older = queries.adjacent_posts(post)
    context = {
        "post": post,
        "breadcrumbs": _category_trail(post.category) if post.category else [],
        "related": queries.related_posts(post),
        "newer": newer,
        "older": older,
        "nav_active": _root_of(post.category).slug if post.category else "",
    }
    return render(request, "blog/post_detail.html", context)


def category(request: HttpRequest, slug: str) -> HttpResponse:
    """List the public posts of a category and of all the categories below it."""
    current = get_object_or_404(Category.objects.select_related("parent"), slug=slug)
    context = {
        "page": paginate(request, queries.posts_in_category(current)),
        "category": current,
        "breadcrumbs": _category_trail(current.parent) if current.parent else [],
        "subcategories": current.children.order_by("name"),
        "kicker": "Section",
        "heading": current.name,
        "intro": current.description,
        "nav_active": _root_of(current).slug,
    }
    return render(request, "blog/post_list.html", context)


def tag(request: HttpRequest, slug: str) -> HttpResponse:
    """List the public posts carrying a tag."""
    current = get_object_or_404(Tag, slug=slug)
    context = {
        "page": paginate(request, queries.posts_with_tag(current)),
        "tag": current,
        "kicker": "Tagged",
        "heading": f"#{current.name}",
        "title": f"Posts tagged “{current.name}”",
    }
    return render(request, "blog/post_list.html", context)


def author(request: HttpRequest, username: str) -> HttpResponse:
    """List an author's public posts; someone with none has no public page at all."""
    person = queries.public_author(username)
    if person is None:
        raise Http404("No author by that name.")
    name = display_name(person)
    context = {
        "page": paginate(request, queries.posts_by_author(person)),
        "author": person,
        "initials": "".join(word[0] for word in name.split()[:2]).upper(),
        "kicker": "Author",
        "heading": name,
        "title": f"Posts by {name}",
    }
    return render(request, "blog/post_list.html", context)


def archive(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """List the public posts of one month; a month without any is a 404."""
    if year not in _ARCHIVE_YEARS or not 1 <= month <= 12:
        raise Http404("No such month.")
    posts = queries.posts_in_month(year, month)
    if not posts.exists():
        # Otherwise every year up to 9998 would be a page, each cached and crawled.
        raise Http404("Nothing was published that month.")
    heading = datetime.date(year, month, 1).strftime("%B %Y")
    context = {
        "page": paginate(request, posts),
        "kicker": "Archive",
        "heading": heading,
        "title": f"Archive: {heading}",
    }
    return render(request, "blog/post_list.html", context)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render the friendly 404 page; the exception's text is never shown to readers."""
    body = loader.render_to_string("blog/404.html", {}, request)
    return HttpResponseNotFound(body)


def display_name(user: AbstractBaseUser) -> str:
    """Return the name a byline shows: the full name, else the username."""
    return user.get_full_name().strip() or user.get_username()


def _category_trail(category: Category) -> list[Category]:
    """Return ``category`` preceded by its parents, root first."""
    return [*category.ancestors(), category]


def _root_of(category: Category) -> Category:
    """Return the top-level category ``category`` sits under (itself when top-level)."""
    return _category_trail(category)[0]
