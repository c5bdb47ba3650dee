"""Shared parts of pages, assembled by Nginx: the Django side of the SSI contract.

Whatever every page shows (a sidebar, a footer) would otherwise tie every cached page to
the lists it prints, so changing one of them would purge every page. Instead it is a
fragment: an ordinary view at ``/_fragments/<name>/``, stored and purged under its own
key and surrogate tags like any page, and a page holds an SSI include in its place that
Nginx fills in on a miss and on a hit (Nginx's ``ssi`` module, honouring only includes of
``FRAGMENT_PREFIX`` on hits).

A page is rendered with includes only when the request carries ``X-Cache-Fragments:
ssi``, which Nginx sets on every request it proxies (blanking any value a client sent).
Everything else (runserver, the Django test client, a request straight to gunicorn)
gets the part inline, so a page is whole wherever Nginx does not assemble it; the
inline render runs the same queries, so such a page carries the part's tags itself.
"""
from __future__ import annotations

import re

from django.http import HttpRequest

FRAGMENTS_HEADER = "X-Cache-Fragments"  # the request header Nginx sets
ASSEMBLY = "ssi"  # its only value: Nginx's SSI module assembles includes
FRAGMENT_PREFIX = "/_fragments/"
# What a fragment name or variant part may be: it goes into a URL and an SSI directive
# unescaped, so nothing that could close the attribute or the comment.
_PART = re.compile(r"[a-z0-9][-a-z0-9_]{0,199}", re.IGNORECASE)  # a SlugField holds 200


def assembled_by_nginx(request: HttpRequest | None) -> bool:
    """Return whether Nginx assembles this response's includes (so parts may be left out)."""
    return request is not None and request.headers.get(FRAGMENTS_HEADER, "") == ASSEMBLY


def fragment_path(name: str, variant: tuple[str, ...] = ()) -> str | None:
    """Return ``/_fragments/<name>/<variant...>/``, or None when a part cannot be one."""
    parts = (name, *variant)
    if not all(_PART.fullmatch(part) for part in parts):
        return None
    return FRAGMENT_PREFIX + "".join(f"{part}/" for part in parts)


def include_directive(path: str) -> str:
    """Return the SSI directive Nginx replaces with the fragment at ``path``.

    ``wait``: Nginx's SSI filter goes on with the page only once the part is in, so a part
    the first tier answers at once cannot come out ahead of the parts before it.
    """
    return f'<!--# include virtual="{path}" wait="yes" -->'


# The same directive as a Lua pattern (deploy/nginx/first_tier.lua puts fragments into
# hits with it; rendered from here). Pages stored before ``wait`` was added match too.
LUA_INCLUDE_PATTERN = '<!%-%-# include virtual="(' + FRAGMENT_PREFIX + '[%w%-_/%.]*)"[ %w="]* %-%->'
