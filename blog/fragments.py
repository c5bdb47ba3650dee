"""The parts every page shares, rendered once as fragments (see ``cachekeys.fragments``).

Declare a fragment with ``@fragment(name, template)`` on a function returning its
template's context, and print it in a template with ``{% fragment "name" %}`` (from
``blog_tags``). Behind Nginx the page then holds ``<!--# include virtual="/_fragments/
name/" -->`` and Nginx fills it in from the fragment's own cached copy; anywhere else the
part is rendered inline, byte for byte what the fragment's view returns.

A fragment's function runs the queries it shows through ``blog.queries``, so the
fragment (or, inline, the page) carries their surrogate tags, and a publish purges the
fragment once instead of every page. A fragment shows only what every reader may see:
it is served to everyone, at a public URL, like any page. ``variant=True`` lets the
function take the variant's parts (slugs) as arguments; it returns None for a variant
that does not exist, which the view answers 404.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from blog import queries
from blog.models import Post
from cachekeys.fragments import assembled_by_nginx, fragment_path, include_directive

Context = Callable[..., "dict | None"]


@dataclass(frozen=True)
class Fragment:
    template: str
    context: Context
    variant: bool  # whether the context function takes a variant's parts


FRAGMENTS: dict[str, Fragment] = {}


def fragment(name: str, template: str, *, variant: bool = False) -> Callable[[Context], Context]:
    """Declare the fragment ``name``: ``template`` rendered with what the function returns."""

    def declare(context: Context) -> Context:
        FRAGMENTS[name] = Fragment(template, context, variant)
        return context

    return declare


def render(name: str, variant: tuple[str, ...] = ()) -> str | None:
    """Return the fragment's HTML, or None when there is no such fragment or variant."""
    declared = FRAGMENTS.get(name)
    if declared is None or (variant and not declared.variant):
        return None
    context = declared.context(*variant)
    return None if context is None else render_to_string(declared.template, context)


def in_page(request: HttpRequest | None, name: str, variant: tuple[str, ...] = ()) -> SafeString:
    """Return what a page prints in the fragment's place: Nginx's include, or the part itself."""
    path = fragment_path(name, variant)
    if path is not None and assembled_by_nginx(request):
        return mark_safe(include_directive(path))
    html = render(name, variant)
    if html is None:
        raise LookupError(f"no fragment {name!r} with variant {variant!r}")
    return mark_safe(html)  # a template's output, escaped as it rendered


# -- the magazine's fragments ---------------------------------------------------------
@fragment("sidebar", "blog/includes/sidebar.html")
def sidebar() -> dict:
    """Latest posts, popular tags and the monthly archive, on every page."""
    # Each list's length is defined once, in blog.queries: the fingerprint that decides
    # whether a list changed (blog.invalidation) compares exactly what is shown here.
    return {"latest": queries.latest_posts(), "tags": queries.popular_tags(),
            "months": queries.archive_months()}


@fragment("sections", "blog/includes/nav.html", variant=True)
def sections(*variant: str) -> dict | None:
    """The masthead's sections; the variant marks the current one.

    ``()``: none, ``("home",)``: the front page's "Latest", ``("section", slug)``: that
    section. A variant per section, not per page, so a post page shares its section's.
    """
    match variant:
        case ():
            current, home = "", False
        case ("home",):
            current, home = "", True
        case ("section", slug) if queries.category_at(slug) is not None:
            current, home = slug, False
        case _:
            return None
    return {"categories": queries.nav_categories(), "active": current, "home": home}


def sections_variant(current: str = "", home: bool = False) -> tuple[str, ...]:
    """Return the ``sections`` variant for a page whose current section is ``current``."""
    return ("home",) if home else ("section", current) if current else ()


@fragment("related", "blog/includes/related.html", variant=True)
def related(*variant: str) -> dict | None:
    """"More from <section>" under a post: ``(section,)``, or ``(section, post)`` without it.

    The second form exists only for a public post of that section (so variants are
    bounded by the posts), and a page uses it only while its post is among the section's
    newest (``related_variant``): every other post page of a section shares one list.
    """
    match variant:
        case (section,):
            excluding = None
        case (section, excluding):
            pass
        case _:
            return None
    root = queries.category_at(section)
    if root is None or root.parent_id is not None:
        return None
    if excluding is not None and not queries.files_post(root, excluding):
        return None
    return {"root": root, "related": queries.section_posts(root, excluding)}


def related_variant(post: Post) -> tuple[str, ...] | None:
    """Return the ``related`` variant ``post``'s page shows, or None for a post with no section."""
    if post.category is None:
        return None
    root = post.category.root()
    if root.parent_id is not None:
        return None  # a parent cycle: no top-level section to relate to
    return (root.slug, post.slug) if queries.leads_section(post, root) else (root.slug,)


@fragment("footer", "blog/includes/footer.html")
def footer() -> dict:
    """The site's footer: its name and the links every page offers."""
    return {}
