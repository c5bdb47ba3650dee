"""The one definition of a page's memcached key, shared by Django and Nginx.

Nginx computes ``md5(prefix + $host + key URI)`` in Lua (``deploy/nginx/key.lua``, rendered
from :data:`NGINX_KEY_EXPRESSION` and the same settings); Django stores a page only under
the same key, computed here from the same parts. The *key URI* is ``$request_uri`` minus
tracking parameters (:func:`key_uri`), so a shared link's ``?utm_source=...`` reads the
page stored for the plain URL. This module imports nothing from Django so it can be
tested, and reasoned about, on its own.
"""
from __future__ import annotations

import hashlib
import re

# The Lua expression Nginx evaluates; ``PREFIX`` is replaced by the quoted key prefix.
# ``uri`` is the key URI key.lua computed with the same rule as :func:`key_uri`.
NGINX_KEY_EXPRESSION = 'ngx.md5(PREFIX .. ngx.var.host .. uri)'

# Parameters analytics adds to shared links (CACHEKEYS["TRACKING_PARAMS"]); a name ending
# in "*" is a prefix rule. The page never reads them: scripts in the browser do.
DEFAULT_TRACKING_PARAMS = (
    "utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "_gl",
    "igshid", "yclid", "twclid", "ref_src",
)

# A prefix goes verbatim into a Lua string inside nginx.conf: keep it to characters that
# need no escaping in either language.
SAFE_PREFIX = re.compile(r"^[A-Za-z0-9._:/-]{0,64}$")


def normalize_host(host: str) -> str:
    """Return ``host`` as Nginx's ``$host`` holds it: lower-case, no port, no trailing dot.

    Mirrors ``ngx_http_validate_host``: an IPv6 literal keeps its brackets, anything from
    the first ``:`` outside them is the port, and one trailing dot is dropped.
    """
    host = host.lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    host = host.split(":", 1)[0]
    return host[:-1] if host.endswith(".") else host


def page_key(host: str, request_uri: str, prefix: str = "") -> str:
    """Return the 32-hex-digit memcached key of the page at ``host`` + ``request_uri``.

    ``request_uri`` is the request line's URI exactly as sent (Nginx's ``$request_uri``):
    percent-encoding, a trailing ``?`` and the query string all count. WSGI hands headers
    and URIs over as latin-1 strings, so encoding with latin-1 gives back the raw bytes
    Nginx hashed.
    """
    raw = (prefix + normalize_host(host) + request_uri).encode("latin-1")
    return hashlib.md5(raw, usedforsecurity=False).hexdigest()


def url_key(url: str, prefix: str = "", tracking: TrackingParams | None = None) -> str:
    """Return the key Nginx looks up for the absolute ``url`` (see :func:`split_absolute_url`)."""
    host, request_uri = split_absolute_url(url)
    return page_key(host, key_uri(request_uri, tracking or NO_TRACKING), prefix)


def split_absolute_url(url: str) -> tuple[str, str]:
    """Split ``http://Host:port/path?q`` into Nginx's ``($host, $request_uri)``.

    ``urllib.parse`` is not used: it drops an empty query's ``?`` and may re-encode, and
    both change the key. Characters outside latin-1 are taken as the UTF-8 bytes a client
    such as curl sends for them unencoded.
    """
    url = url.encode("utf-8").decode("latin-1")
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)(.*)$", url)
    if not match or not match.group(1):
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    authority, rest = match.groups()
    host = authority.rsplit("@", 1)[-1]
    request_uri = rest.split("#", 1)[0] or "/"
    if not request_uri.startswith("/"):
        request_uri = "/" + request_uri
    return normalize_host(host), request_uri


def query_names(query: str) -> list[str]:
    """Return the raw (still percent-encoded) parameter names of a query string.

    Nginx's Lua check splits ``$args`` the same way, so both sides agree on which query
    strings are allow-listed without decoding anything.
    """
    return [part.split("=", 1)[0] for part in query.split("&") if part]


class TrackingParams:
    """The tracking-parameter rule: exact names, and prefixes (written ``name*``).

    Names are compared raw (still percent-encoded), as Nginx compares them: a spelling
    such as ``utm%5Fsource`` is not a tracking parameter but an unknown one.
    """

    def __init__(self, names: tuple[str, ...] | list[str] = DEFAULT_TRACKING_PARAMS) -> None:
        self.exact = frozenset(n for n in names if not n.endswith("*"))
        self.prefixes = tuple(sorted({n[:-1] for n in names if n.endswith("*")}))

    def __contains__(self, name: str) -> bool:
        return name in self.exact or name.startswith(self.prefixes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrackingParams) and (self.exact, self.prefixes) == (other.exact, other.prefixes)

    def __hash__(self) -> int:
        return hash((self.exact, self.prefixes))


NO_TRACKING = TrackingParams(())


def without_tracking(query: str, tracking: TrackingParams) -> str | None:
    """Return ``query`` without its tracking parameters, or ``None`` if it has none.

    The other parameters stay in their order and spelling, joined by ``&`` (empty ones
    dropped). key.lua applies the very same steps.
    """
    parts = [part for part in query.split("&") if part]
    kept = [part for part in parts if part.split("=", 1)[0] not in tracking]
    return None if len(kept) == len(parts) else "&".join(kept)


def key_uri(request_uri: str, tracking: TrackingParams = NO_TRACKING) -> str:
    """Return the URI the key hashes: ``request_uri`` without its tracking parameters.

    Nothing removed, nothing changes (a trailing ``?`` still counts); a query left empty
    loses its ``?``.
    """
    path, mark, query = request_uri.partition("?")
    kept = without_tracking(query, tracking) if mark else None
    if kept is None:
        return request_uri
    return path + ("?" + kept if kept else "")


def query_is_allowed(request_uri: str, allowed: frozenset[str] | set[str]) -> bool:
    """Return whether every parameter in ``request_uri``'s query string is allow-listed."""
    _, _, query = request_uri.partition("?")
    return all(name in allowed for name in query_names(query))
