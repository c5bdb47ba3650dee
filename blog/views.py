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
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.template import loader
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from blog import comments, fragments, queries
from blog import search as search_index
from blog.redirects import OLD_URL_PARAMS
from blog.site import display_name
from cachekeys import missing
from cachekeys.canonical import canonical_path, declare_canonical

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
    if raw == "1" and "page" in request.GET:
        declare_canonical(canonical_path(request))  # the pages link to page 1 without ?page=
    try:
        return Paginator(posts, POSTS_PER_PAGE).page(int(raw))
    except EmptyPage as error:
        raise Http404("There is no such page.") from error


def malformed_page_kind(request: HttpRequest) -> str:
    """A 404 for ``?page=zzz`` (:func:`paginate`) lasts: no publish makes it a page number."""
    raw = request.GET.get("page")
    return missing.UNROUTED if raw is not None and not _PAGE_NUMBER.fullmatch(raw) else missing.ROUTED


def home_kind(request: HttpRequest) -> str:
    """WordPress's old addresses of "/" change only with an address row or the post they
    name (blog.redirects, blog.invalidation): no other publish reaches them."""
    if any(name in request.GET for name in OLD_URL_PARAMS):
        return missing.UNROUTED
    return malformed_page_kind(request)


paginated = missing.missing_kind(malformed_page_kind)


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

    # Its ``?page=`` 404 lasts (cachekeys.missing): no publish gives such a page pages.
    return missing.missing_kind(lambda request: missing.UNROUTED if "page" in request.GET else missing.ROUTED)(wrapped)


@missing.missing_kind(home_kind)
def home(request: HttpRequest) -> HttpResponse:
    """Show the newest posts, sticky ones first on page 1, the first of them as the lead story."""
    if "s" in request.GET:
        # WordPress's search address (/?s=words), in old links and bookmarks.
        return HttpResponsePermanentRedirect(f"{reverse('blog:search')}?{urlencode({'q': request.GET['s']})}")
    if any(name in request.GET for name in OLD_URL_PARAMS):
        # /?p=ID and WordPress's other old addresses: a 404 here, a 301 from blog.redirects.
        raise Http404("An old address.")
    page = paginate(request, queries.home_posts())
    posts = list(page.object_list)
    if page.number == 1:
        # Sticky posts come first on the first page, the newest of them as the lead story.
        featured = queries.sticky_posts()
        shown = {post.pk for post in featured}
        posts = featured + [post for post in posts if post.pk not in shown]
    lead = posts.pop(0) if page.number == 1 and posts else None
    context = {"page": page, "lead": lead, "posts": posts, "nav_home": True}
    return render(request, "blog/home.html", context)


@csrf_exempt  # the cached page carries no token (see blog.comments)
@require_http_methods(["GET", "HEAD", "POST"])
@unpaginated
def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show one public post; a draft or a scheduled post is a 404 like a missing one.

    A POST is the comment form sent without JavaScript: the answer (never stored, as no
    POST is) is the page with the reader's own comment shown as awaiting moderation, or
    the form with its errors.
    """
    post = queries.public_post(slug)
    if post is None:
        raise Http404("No public post has this address.")
    context = {"comment_form": None, "submitted": None}
    status = 200
    if request.method == "POST":
        outcome = comments.submit(request, post, request.POST)
        if outcome.ok:
            context["submitted"] = outcome.comment or "bot"
        else:
            context["comment_form"] = comments.CommentForm(request.POST, post=post)
            context["comment_errors"] = outcome.errors
            status = 429 if outcome.limited else 400
    newer, older = queries.adjacent_posts(post)
    context |= {
        "thread": (thread := comments.approved_thread(post)),
        "comment_count": comments.count_of(thread),
        "post": post,
        "breadcrumbs": post.category.trail() if post.category else [],
        "related_variant": fragments.related_variant(post),
        "newer": newer,
        "older": older,
        "nav_active": post.category.root().slug if post.category else "",
        "comment_limits": {"length": comments.MAX_LENGTH, "links": comments.MAX_LINKS},
    }
    return render(request, "blog/post_detail.html", context, status=status)


@paginated
def category(request: HttpRequest, slug: str) -> HttpResponse:
    """List the public posts of a category and of all the categories below it."""
    current = queries.category_at(slug)
    if current is None:
        raise Http404("No category has this address.")
    context = {
        "page": paginate(request, queries.posts_in_category(current)),
        "category": current,
        "breadcrumbs": current.ancestors(),
        "subcategories": queries.subcategories(current),
        "kicker": "Section",
        "heading": current.name,
        "intro": current.description,
        "nav_active": current.root().slug,
    }
    return render(request, "blog/post_list.html", context)


@paginated
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    """List the public posts carrying a tag."""
    current = queries.tag_at(slug)
    if current is None:
        raise Http404("No tag has this address.")
    context = {
        "page": paginate(request, queries.posts_with_tag(current)),
        "tag": current,
        "kicker": "Tagged",
        "heading": f"#{current.name}",
        "title": f"Posts tagged “{current.name}”",
    }
    return render(request, "blog/post_list.html", context)


@paginated
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


@paginated
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


class _SearchResults:
    """What the paginator slices: one ranked query for the page asked for, run once."""

    def __init__(self, words: list[str], page_number: str) -> None:
        self.words = words
        number = int(page_number) if _PAGE_NUMBER.fullmatch(page_number) else 1
        self.window = ((number - 1) * POSTS_PER_PAGE, number * POSTS_PER_PAGE)
        self._found: search_index.Results | None = None

    def _results(self) -> search_index.Results:
        if self._found is None:
            start, stop = self.window
            self._found = search_index.search(self.words, start, stop - start)
        return self._found

    def count(self) -> int:
        return self._results().total

    @property
    def more(self) -> bool:
        """More posts match than a search shows (``search_index.MAX_RESULTS``)."""
        return self._results().more

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list:
        found = self._results()
        start, stop = window.start or 0, window.stop or 0
        first, last = self.window
        if first <= start and stop <= last:  # the page expected, or its start (the last page)
            hits = found.hits[start - first:stop - first]
        else:  # a page other than the one expected
            hits = search_index.search(self.words, start, stop - start).hits
        posts = queries.public_posts_among([hit.post_id for hit in hits])
        shown = []
        for hit in hits:
            if hit.post_id in posts:  # published a moment ago, gone a moment later: skip
                post = posts[hit.post_id]
                post.search_title, post.search_snippet = hit.title, hit.snippet
                shown.append(post)
        return shown


@never_cache
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Search the public posts (``?q=``): ranked, highlighted, paginated; never stored."""
    declare_canonical(None)  # one page per query: not worth a place in memcached
    raw = request.GET.get("q", "")
    context = {"query": raw, "problem": None, "page": None}
    if "q" in request.GET:
        try:
            results = _SearchResults(search_index.terms(raw), request.GET.get("page", "1"))
            context["page"] = paginate(request, results)
        except search_index.QueryProblem as problem:
            context["problem"] = str(problem)
    return render(request, "blog/search.html", context)


@unpaginated
def page(request: HttpRequest, path: str) -> HttpResponse:
    """Show a published standalone page (About, Contact) at ``/<slug>/``, or nested: ``/about/team/``."""
    from blog import pages

    current = pages.public_page(path)
    if current is None:
        raise Http404("No page has this address.")
    return render(request, "blog/page.html", {"page_obj": current})


def fragment(request: HttpRequest, name: str, variant: str = "") -> HttpResponse:
    """Serve a shared part of every page (``blog.fragments``), for Nginx to include.

    Cached and purged under its own key like a page; never indexed (it is not a page)
    and never given a query string, so each part has one URL.
    """
    if request.META.get("QUERY_STRING"):
        raise Http404("A fragment takes no query string.")
    html = fragments.render(name, tuple(variant.split("/")) if variant else ())
    if html is None:
        raise Http404("No such fragment.")
    response = HttpResponse(html)
    response["X-Robots-Tag"] = "noindex"
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render the friendly 404 page; the exception's text is never shown to readers."""
    body = loader.render_to_string("blog/404.html", {}, request)
    return HttpResponseNotFound(body)
