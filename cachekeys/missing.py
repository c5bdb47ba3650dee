"""Missing pages: which 404s Nginx may keep, and the tokens that drop them at once.

Nginx keeps a 404 in its own bounded memory (``deploy/nginx/missing.lua``) when Django's
answer says ``X-Cache-Missing: keep <kind> <token>``: never in memcached, never in the
database, so junk URLs cannot fill either. Django says so for exactly the 404s it would
store were they pages (:func:`keepable`: an anonymous GET Nginx looked up, whatever its
spelling), and for the 301 that sends a junk spelling of a page to its canonical URL.

A kept answer is served only while memcached's token of its kind is the one read before
Django rendered it. Two kinds (:func:`kind_of`), because they change for different reasons:

- ``ROUTED``: the path resolves to a view (``/posts/no-such/``, ``/tag/none/``): content a
  save publishes may appear there, so every purge deletes this token.
- ``UNROUTED``: no view answers the path (``/2013/06/old-slug/``, ``/xmlrpc.php``), or its
  view says no publish can change its 404 there (:func:`missing_kind`: ``/?p=123``,
  ``/?page=zzz``): only an address written for it (an old URL's redirect, tagged
  :func:`address_tag`) or a purge of everything can change that, so only those purges
  delete this token, and bots' probes stay answered by Nginx through a day of publishing.

Django writes a new token, with ``add``, when it next answers a kept answer of that kind.
A delete a down node missed is retried like any page's (``PendingDelete``).
"""
from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.http import HttpRequest
from django.urls import Resolver404, resolve

from cachekeys.keys import page_key
from cachekeys.policy import Exchange, Rules, refusal
from cachekeys.records import ALL
from cachekeys.pool import MemcachedPool, NodeUnavailable

logger = logging.getLogger("cachekeys")

KEEP_HEADER = "X-Cache-Missing"
NO_TOKEN = "none"  # what Nginx sends when memcached holds no token
ROUTED, UNROUTED = "r", "u"
KINDS = (ROUTED, UNROUTED)
# Tags of addresses that answer nothing yet (an old URL's redirect is written later): a
# purge of one may change an unrouted 404.
ADDRESS_TAG_PREFIX = "address:"
KIND_ATTRIBUTE = "cachekeys_missing_kind"  # set on a view by missing_kind()
V = TypeVar("V", bound=Callable)


def token_key(prefix: str, kind: str = ROUTED) -> str:
    """The memcached key of the token kept answers of ``kind`` are valid under."""
    return f"{prefix}cachekeys:missing" if kind == ROUTED else f"{prefix}cachekeys:missing:{kind}"


def address_tag(path: str, query: str = "") -> str:
    """The tag of whatever the address ``path?query`` answers (``depends_on`` it, purge it)."""
    return f"{ADDRESS_TAG_PREFIX}{path}?{query}"


def kind_of(request: HttpRequest) -> str:
    """``UNROUTED`` when no view answers the request's path, or its view says its 404 here
    changes only with an address written for it (:func:`missing_kind`); else ``ROUTED``."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return UNROUTED
    decide = getattr(match.func, KIND_ATTRIBUTE, None)
    return decide(request) if decide is not None else ROUTED


def missing_kind(decide: Callable[[HttpRequest], str]) -> Callable[[V], V]:
    """Say, from the request alone and before the view runs, which kind its 404 would be.

    For a view whose 404s no publish can change: ``?page=zzz`` anywhere, ``?page=2`` on a
    page that has no pages, WordPress's ``/?p=123`` (an old address: only an address row
    or the post it names can answer it, and both purge its address tag). Those are kept
    ``UNROUTED``, through a day of publishing.
    """
    def mark(view: V) -> V:
        setattr(view, KIND_ATTRIBUTE, decide)
        return view

    return mark


def kinds_purged(tags: Iterable[str]) -> list[str]:
    """The kinds whose kept answers a purge of ``tags`` drops: routed ones always."""
    tags = set(tags)
    if ALL in tags or any(tag.startswith(ADDRESS_TAG_PREFIX) for tag in tags):
        return list(KINDS)
    return [ROUTED]


def keepable(exchange: Exchange, rules: Rules) -> bool:
    """Return whether Nginx may keep this answer: everything a stored page needs but the status.

    A 404, or a page read under a spelling other than its canonical one (Django answers
    it with a 301 there). Any spelling may be kept (the dict is bounded, so junk spellings
    only push out other junk): the canonical-spelling rule is for memcached, whose items
    are worth more. Not a redirect from a URL with tracking parameters: its Location
    carries them, and the key does not.
    """
    looked = exchange.lookup
    redirected = (exchange.status == 200 and exchange.canonical_uri is not None
                  and exchange.canonical_uri != looked.key_uri and looked.request_uri == looked.key_uri)
    if exchange.status != 404 and not redirected:
        return False
    as_page = dataclasses.replace(exchange, status=200, canonical_uri=looked.key_uri)
    return refusal(as_page, rules) is None


def ensure_token(pool: MemcachedPool, prefix: str, kind: str = ROUTED) -> str | None:
    """Return the token, making one if there is none (``add``: a token there stays).

    ``None`` when memcached cannot be reached: then no 404 is kept.
    """
    key = token_key(prefix, kind)
    server = pool.node_for(key)
    if server is None:
        return None
    try:
        pool.call(server, "add", key, secrets.token_hex(16).encode("ascii"), expire=0, noreply=False)
        value = pool.call(server, "get", key)
    except NodeUnavailable:
        return None
    return value.decode("ascii", "replace") if value else None


def token_for(nginx_read: str | None, pool: MemcachedPool, prefix: str, kind: str = ROUTED) -> str | None:
    """Return the token of ``kind`` to name in the answer, before anything is read for it.

    Nginx sends the routed token it read (``X-Cache-Missing-Token``); ``none`` means
    memcached held none (first start, eviction, a purge a moment ago): then Django makes
    one now, before the render reads anything, so a purge after this still drops the
    answer it keeps. The unrouted token Django reads itself (only unrouted 404s pay for it).
    ``None``: Nginx asked nothing (the header is absent), keep nothing.
    """
    if not nginx_read:
        return None
    if kind != ROUTED or nginx_read == NO_TOKEN:
        return ensure_token(pool, prefix, kind)
    return nginx_read


def keep_header(kind: str, token: str, target_key: str | None = None) -> str:
    """What Django answers Nginx (``X-Cache-Missing``) for an answer it may keep.

    ``target_key``: a junk spelling's 301 names the key of the page it sends readers to.
    Nginx keeps answering the 301 while its first tier holds that page (then the page is
    there, fresh, at that address), past purges of other pages; else while the token holds.
    """
    return f"keep {kind} {token}" + (f" {target_key}" if target_key else "")


def redirect_target_key(exchange: Exchange, key_prefix: str) -> str | None:
    """The key of the page a kept 301 from a junk spelling points at (None for a 404)."""
    looked = exchange.lookup
    if exchange.status == 404 or exchange.canonical_uri is None:
        return None
    return page_key(looked.host, exchange.canonical_uri, key_prefix)
