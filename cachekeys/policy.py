"""Whether a rendered page may be stored where Nginx will serve it to everyone.

:func:`refusal` is a row of early returns, each with the reason it exists; it is pure,
so every rule is tested without a request. Nginx serves a stored value with the status
and the headers it carries (``cachekeys.value``), so only a page whose every header a
hit repeats, and that every reader may see, is stored.
"""
from __future__ import annotations

from dataclasses import dataclass

from cachekeys.keys import query_is_allowed
from cachekeys.lookup import Lookup
from cachekeys.value import uncarried

# Vary values Nginx honours: it gunzips for clients that do not accept gzip, and it sends
# every request carrying a session cookie to Django, so a cached page never meets one.
HONOURED_VARY = frozenset({"accept-encoding", "cookie"})
UNCACHEABLE_DIRECTIVES = frozenset({"private", "no-cache", "no-store"})
# Redirects shared like pages when the view vouches for them (opted in: blog.redirects'
# 301s to where an old address moved), never one any path gets (APPEND_SLASH's). Nginx
# serves a stored value's own status and Location (cachekeys.value, contract 1).
VOUCHED_REDIRECTS: frozenset[int] = frozenset({301, 308})


@dataclass(frozen=True)
class Exchange:
    """What the store decision needs to know about one request and its response."""

    lookup: Lookup  # what Nginx looked up, and whether Django's key agrees
    path: str
    canonical_uri: str | None  # the spelling the site links to (cachekeys.canonical)
    has_session_cookie: bool
    has_authorization: bool
    csrf_token_used: bool
    opted_out: bool
    opted_in: bool
    status: int
    streaming: bool
    headers: tuple[tuple[str, str], ...]  # the response's, Set-Cookie aside (sets_cookie)
    sets_cookie: bool
    cache_control: str
    vary: str


@dataclass(frozen=True)
class Rules:
    query_params: frozenset[str]
    bypass_prefixes: list[str]
    store_by_default: bool


def refusal(exchange: Exchange, rules: Rules) -> str | None:
    """Return why the page must not be stored, or ``None`` when it may be."""
    e, looked = exchange, exchange.lookup
    if looked.method != "GET":
        return "method"  # HEAD bodies are empty; other methods change things
    if e.status != 200 and not (e.status in VOUCHED_REDIRECTS and e.opted_in):
        return "status"  # the value carries any status; which may be shared is decided here
    if e.streaming:
        return "streaming"
    if e.opted_out:
        return "view opted out"
    if not (e.opted_in or rules.store_by_default):
        return "view did not opt in"
    if any(e.path.startswith(prefix) for prefix in rules.bypass_prefixes):
        return "bypassed path"
    if e.has_session_cookie or e.has_authorization:
        return "identified visitor"  # an editor's page is never shared
    if e.csrf_token_used:
        return "csrf token in page"
    if e.sets_cookie:
        return "sets cookie"
    if _has_uncacheable_directive(e.cache_control):
        return "cache-control"
    if not _vary_is_honoured(e.vary):
        return "vary"
    if not looked.looked_up:
        return "not looked up by nginx"  # nothing would ever read it
    if not looked.agrees:
        return "key disagrees with nginx"  # store at Nginx's exact key, or not at all
    if not query_is_allowed(looked.key_uri, rules.query_params):
        return "query string"
    if e.canonical_uri != looked.key_uri:
        return "not canonical"  # one item per spelling would let junk evict real pages
    dropped = uncarried(e.headers)
    if dropped:
        return f"header {dropped[0]} not carried"  # a hit would lose it
    return None


def _has_uncacheable_directive(cache_control: str) -> bool:
    directives = {part.split("=", 1)[0].strip().lower() for part in cache_control.split(",")}
    return bool(directives & UNCACHEABLE_DIRECTIVES)


def _vary_is_honoured(vary: str) -> bool:
    fields = {part.strip().lower() for part in vary.split(",") if part.strip()}
    return fields <= HONOURED_VARY
