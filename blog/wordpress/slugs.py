"""The slug a WordPress term (category or tag) gets on the site.

One rule shared by the write phase (``writers.upsert_terms`` keys terms by it) and the
old addresses (``redirects`` finds the term an old ``/category/x/`` leads to by it).
"""
from __future__ import annotations

import zlib
from urllib.parse import unquote

from django.utils.text import slugify

from blog.models import Tag
from blog.wordpress.parser import Term

MAX_TERM = Tag._meta.get_field("slug").max_length


def term_slug(term: Term) -> str:
    """Return a valid ASCII slug for a WordPress term: nicename, else name, else its id."""
    for text in (unquote(term.nicename), term.name):
        slug = slugify(text)[:MAX_TERM].strip("-")
        if slug:
            return slug
    kind = "category" if term.taxonomy == "category" else "tag"
    key = term.term_id or zlib.crc32(f"{term.nicename}\0{term.name}".encode())
    return f"{kind}-{key}"
