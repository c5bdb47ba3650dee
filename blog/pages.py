"""Standalone pages (About, Contact) at ``/<slug>/``: the footer list, addresses, purges.

Pages nest (``Page.parent``): a page under About lives at ``/about/team/``, its ``path``
being ``about/team``. A top-level page's address sits beside the site's own (``/feed/``,
``/search/``, ``/admin/``...), so a top-level slug whose address another URL of the site
already answers, or whose first path segment a site URL starts with, is refused
(``slug_collision``): a page must never shadow a route, and a route added later never
silently hides a page the editors made first. Pages below one live under its address,
which is already a page's.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from cachekeys.dependencies import depends_on, instance_tag, track
from cachekeys.tracking import tracker

FOOTER_PAGES = "blog.pages:footer"  # the footer's list of pages, on every page
ALL_PAGES = "blog.pages:all"  # listings of every public page (the sitemap)
# Paths outside the URLconf that Nginx or the cache answers itself.
SERVED_ELSEWHERE = ("/_fragments/", "/_cachekeys/")


def page_address(path: str) -> str:
    """Whatever ``/<path>/`` answers (a page, or a 404 that may be kept): purged when a page takes or leaves it."""
    return f"blog.page:path:{path}"


def footer_pages() -> list:
    """Return the published pages shown in the footer, in their order."""
    from blog.models import Page

    depends_on(FOOTER_PAGES)
    return list(Page.objects.filter(status=Page.Status.PUBLISHED, show_in_footer=True).only("title", "path"))


def public_page(path: str):
    """Return the published page at ``/<path>/``, or None (a page published there later purges the 404)."""
    from blog.models import Page

    depends_on(page_address(path))
    return Page.objects.filter(path=path, status=Page.Status.PUBLISHED).first()


def public_pages():
    from blog.models import Page

    depends_on(ALL_PAGES)
    return Page.objects.filter(status=Page.Status.PUBLISHED).order_by("path")


# -- addresses ------------------------------------------------------------------------
def reserved_segments() -> set[str]:
    """The first path segments the site's own URLs begin with (``admin``, ``feed``...)."""
    segments: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^")
            literal = route.split("<", 1)[0].split("/", 1)[0].rstrip("$")
            if isinstance(pattern, URLResolver):
                if literal and "/" in route.split("<", 1)[0]:
                    segments.add(literal)
                else:
                    walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and literal:
                segments.add(literal)

    walk(get_resolver().url_patterns, "")
    for prefix in (settings.STATIC_URL, settings.MEDIA_URL, *SERVED_ELSEWHERE,
                   *settings.CACHEKEYS.get("BYPASS_PREFIXES", [])):
        first = str(prefix).strip("/").split("/", 1)[0]
        if first:
            segments.add(first)
    return segments


def slug_collision(slug: str, parent=None, own_pk: int | None = None) -> str | None:
    """Say why ``slug`` (under ``parent``, a Page or None) cannot be a page's address, or None if it is free."""
    from blog.models import Page

    if parent is None and slug.lower() in {segment.lower() for segment in reserved_segments()}:
        return f"/{slug}/ is already an address of the site (or the start of some); choose another slug."
    path = f"{parent.path}/{slug}" if parent is not None else slug
    if Page.objects.filter(path=path).exclude(pk=own_pk).exists():
        return f"Another page already lives at /{path}/; choose another slug or parent."
    return None


# -- purges ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PageState:
    public: bool
    title: str
    path: str
    in_footer: bool
    order: int
    body_html: str


def page_state(pk: int) -> PageState | None:
    from blog.models import Page

    page = Page.objects.filter(pk=pk).first()
    if page is None:
        return None
    return PageState(page.is_public, page.title, page.path, page.show_in_footer, page.footer_order, page.body_html)


def page_tags(pk: int, old: PageState | None, new: PageState | None) -> set[str]:
    """The page itself; the footer when a footer link appears, goes or changes; the sitemap."""
    from blog.models import Page
    from blog.redirects import old_address

    if old == new or not any(state and state.public for state in (old, new)):
        return set()
    tags = {instance_tag(Page, pk)}

    def footer(state: PageState | None) -> tuple | None:
        return (state.title, state.path, state.order) if state and state.public and state.in_footer else None

    if footer(old) != footer(new):
        tags.add(FOOTER_PAGES)
    if (old and old.public and old.path) != (new and new.public and new.path):
        tags.add(ALL_PAGES)
        tags |= {page_address(state.path) for state in (old, new) if state}
        # A nested path no page had was an address no view answers: its kept 404 goes too.
        tags |= {old_address(f"/{state.path}/") for state in (old, new) if state}
    return tags


def register() -> None:
    """Tag pages with the Page objects they show; purge them when one changes (``ready()``)."""
    from blog.models import Page

    track(Page)
    tracker.watch(Page, page_state, page_tags)
