"""Template tags for the readers' pages: site name, shared fragments, navigation, covers.

The parts every page shares (sidebar, sections, footer) are fragments (``blog.fragments``):
``{% fragment "name" %}`` prints an include Nginx fills in, or the part itself when no
Nginx assembles the page. Each part runs its own small query from ``blog.queries``, so
no context processor is needed. Nothing here may read the request's user or session:
the pages are cached for everyone.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page
from django.utils.safestring import SafeString, mark_safe

from blog import covers, fragments, photos, queries
from blog.models import Post
from blog.site import SITE_NAME, SITE_TAGLINE, display_name

register = template.Library()


@register.simple_tag
def site_name() -> str:
    """Return the magazine's name."""
    return SITE_NAME


@register.simple_tag
def site_tagline() -> str:
    """Return the magazine's strapline."""
    return SITE_TAGLINE


@register.simple_tag(takes_context=True)
def fragment(context: template.Context, name: str, *variant: str | tuple[str, ...]) -> SafeString:
    """Print the shared part ``name`` (``blog.fragments``): an include behind Nginx, else inline.

    The variant's parts follow the name, one by one or as one tuple a view computed.
    """
    parts = [part for given in variant for part in (given if isinstance(given, (list, tuple)) else [given])]
    return fragments.in_page(context.get("request"), name, tuple(str(part) for part in parts))


@register.simple_tag(takes_context=True)
def masthead_nav(context: template.Context, active: str = "", home: bool = False) -> SafeString:
    """Print the main navigation; ``active`` is the current section's slug, ``home`` the front page."""
    return fragments.in_page(context.get("request"), "sections", fragments.sections_variant(active, home))


@register.inclusion_tag("blog/includes/section_links.html")
def section_links() -> dict:
    """Render the top-level categories as pills, for pages that suggest where to go next."""
    return {"categories": queries.nav_categories()}


@register.filter
def byline(user: AbstractBaseUser) -> str:
    """Return the name to print for an author."""
    return display_name(user)


@register.filter
def cover(post: Post) -> str:
    """Return the cover palette class for a post, the same in every process."""
    return covers.palette(post.slug)


@register.inclusion_tag("blog/includes/pagination.html", takes_context=True)
def pagination(context: template.Context, page: Page, keep: str = "") -> dict:
    """Render page links, eliding the middle of long runs; page 1 links to the bare URL.

    ``keep`` names a query parameter the links carry along (search's ``q``).
    """
    elided = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    request = context["request"]
    kept = urlencode({keep: request.GET[keep]}) if keep and keep in request.GET else ""
    return {
        "page": page,
        # None marks a gap; the paginator's own marker is a lazy string, awkward to compare.
        "numbers": [number if isinstance(number, int) else None for number in elided],
        # Page 1 has a single URL, without "?page=1", so it is cached once.
        "path": f"{request.path}?{kept}" if kept else request.path,
        "query": f"?{kept}&" if kept else "?",
    }


@register.filter
def sprite(post: Post) -> SafeString:
    """Return an SVG pixel sprite drawn from the post's slug: the cover art a post lacks."""
    # Built only from integers, never from the slug's text, so it is safe to mark safe.
    return mark_safe(covers.sprite_svg(post.slug))


_SIZES = {"body": photos.BODY_SIZES, "cover": photos.COVER_SIZES, "card": photos.CARD_SIZES,
          "lead": photos.LEAD_SIZES}


@register.inclusion_tag("blog/includes/picture.html")
def picture(image, sizes: str = "card", lazy: bool = True, css_class: str = "", alt: str | None = None) -> dict:
    """Render a library photo as a responsive <picture> (WebP first, then its own format)."""
    return {
        "src": photos.sources(image), "sizes": _SIZES.get(sizes, sizes), "lazy": lazy,
        "class": css_class, "alt": image.alt_text if alt is None else alt,
    }


@register.filter
def with_photos(body_html: str) -> SafeString:
    """Return a sanitised body with its library photos as responsive pictures."""
    # body_html was sanitised on save; place_photos only adds markup it builds itself.
    return mark_safe(photos.place_photos(body_html))


@register.filter
def photo_url(image, request=None) -> str:
    """The absolute URL of a photo's widest size in its own format (og:image)."""
    url = photos.largest_url(image)
    return request.build_absolute_uri(url) if request is not None else url


@register.filter
def photo_size(image) -> dict:
    """The widest size of a photo in its own format: its width and height."""
    return photos.largest(image) or {"width": image.width, "height": image.height}


@register.inclusion_tag("blog/includes/footer_pages.html")
def footer_pages() -> dict:
    """Render the footer's links to standalone pages (About, Contact): on every page."""
    from blog import pages

    return {"pages": pages.footer_pages()}


@register.simple_tag
def comment_count(post) -> str:
    """Print a card's "N comments" (empty for none), tagging the page with that count."""
    from blog import comments
    from cachekeys.dependencies import depends_on

    depends_on(comments.count_of_post(post.pk))
    count = getattr(post, "comment_count", 0)
    return f"{count} comment{'s' if count != 1 else ''}" if count else ""
