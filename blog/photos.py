"""Photos in pages: what a ``<picture>`` needs, and a story body's library photos placed.

The files and their sizes are made by ``blog.images``; here a photo's sizes become a
``srcset`` (in WebP and its own format), with the widths the layout gives it, and an
``<img>`` of a library photo in a body becomes its responsive ``<picture>``.
"""
from __future__ import annotations

import html
import re

from django.core.files.storage import Storage
from django.template.loader import render_to_string

from blog.images import FOLDER, FORMATS, HASH_LENGTH
from blog.models import Image


def sources(image, storage: Storage | None = None) -> dict:
    """What a <picture> needs: srcset per format, the fallback's src, width and height."""
    storage = storage or image.file.storage
    by_format: dict[str, list[dict]] = {}
    for item in image.renditions:
        by_format.setdefault(item["format"], []).append(item)
    fallback_type = next((t for t in by_format if t != "image/webp"), "image/webp")
    def srcset(items: list[dict]) -> str:
        return ", ".join(f"{storage.url(item['name'])} {item['width']}w" for item in items)
    fallback = by_format.get(fallback_type, [])
    middle = next((item for item in fallback if item["width"] >= 960), fallback[-1] if fallback else None)
    return {
        "webp": srcset(by_format.get("image/webp", [])) if fallback_type != "image/webp" else "",
        "srcset": srcset(fallback),
        "src": storage.url(middle["name"]) if middle else image.file.url,
        "width": image.width,
        "height": image.height,
        "largest": max((item["width"] for item in fallback), default=image.width),
    }


def largest(image) -> dict | None:
    """The widest size in the photo's own format (og:image, the feed's enclosure)."""
    items = [item for item in image.renditions if item["format"] != "image/webp"] or image.renditions
    return max(items, key=lambda item: item["width"]) if items else None


def largest_url(image) -> str:
    item = largest(image)
    return image.file.storage.url(item["name"]) if item else image.file.url


_IMG = re.compile(r"<img\b[^>]*>")
_ALONE = re.compile(r"<p>\s*(<img\b[^>]*>)\s*</p>")
_ATTRIBUTE = re.compile(r'\b(src|alt)="([^"]*)"')
_EXTENSIONS = "|".join(extension for extension, _ in FORMATS.values())
_LIBRARY_NAME = re.compile(rf"({FOLDER}/[0-9a-f]{{{HASH_LENGTH}}}\.(?:{_EXTENSIONS}))$")
# The widths the layout gives a photo (site.css: a 76rem page, a 19rem sidebar from 62rem).
BODY_SIZES = "(min-width: 62rem) min(45rem, calc(100vw - 25rem)), calc(100vw - 2.5rem)"
COVER_SIZES = "(min-width: 62rem) min(54rem, calc(100vw - 25rem)), calc(100vw - 2.5rem)"
CARD_SIZES = "(min-width: 62rem) 26rem, (min-width: 40rem) 50vw, 100vw"
# The lead card crops a 16:9 photo to a tall box (object-fit: cover): it needs a wider file.
LEAD_SIZES = "(min-width: 48rem) 60rem, 100vw"


def library_name(src: str) -> str | None:
    """The storage name of a library photo an ``<img src>`` points at, whatever its URL prefix."""
    match = _LIBRARY_NAME.search(html.unescape(src).split("?", 1)[0])
    return match.group(1) if match else None


def place_photos(body_html: str) -> str:
    """Replace each library photo in a sanitised body with its responsive <picture>.

    A photo alone in its paragraph becomes a figure with its caption and credit. The
    photos are read now, when the page renders (so the page is tagged with them and
    purged when one changes), and only markup built here from their fields is added.
    """
    wanted = {name for tag in _IMG.findall(body_html) if (name := _name_in(tag))}
    if not wanted:
        return body_html
    photos = {image.file.name: image for image in Image.objects.filter(file__in=wanted)}

    def picture(tag: str, figure: bool) -> str | None:
        image = photos.get(_name_in(tag) or "")
        if image is None:
            return None
        attributes = dict(_ATTRIBUTE.findall(tag))
        alt = html.unescape(attributes.get("alt", "")) or image.alt_text
        return render_to_string("blog/includes/photo.html", {
            "image": image, "src": sources(image), "alt": alt, "figure": figure,
            "sizes": BODY_SIZES, "lazy": True,
        }).strip()

    def alone(match: re.Match) -> str:
        return picture(match.group(1), figure=True) or match.group(0)

    def inline(match: re.Match) -> str:
        return picture(match.group(0), figure=False) or match.group(0)

    # Figures first; the pictures they hold have no <img src=library> left to match twice.
    return _IMG.sub(inline, _ALONE.sub(alone, body_html), count=0) if photos else body_html


def _name_in(tag: str) -> str | None:
    attributes = dict(_ATTRIBUTE.findall(tag))
    return library_name(attributes.get("src", ""))
