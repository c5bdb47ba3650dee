"""The one spelling of a URL that is stored: the one the site itself links to.

A page is reachable under endless spellings (``/p%6fsts/x/``, ``/archive/02026/11/``,
``/?page=2&page=2``, ``/#x``, ``/posts/x/?``); storing each would let junk fill memcached
and the page records. The canonical spelling is rebuilt from what Django understood:

* the path is ``reverse()`` of the resolved view with the arguments it received (so a
  converter's leading zeros and needless percent-encoding disappear), or, for a path no
  URL pattern reverses, the decoded path encoded again;
* the query keeps the parameters the page read while it rendered (:class:`ReadQuery`:
  ``?limit=5`` on a post page is never looked at, so it is no part of that page), each
  once (the value the view read: the last), in the order the request gave, drops empty
  ones, and spells names and values as ``quote`` does.

A view that knows better says so while it renders with :func:`declare_canonical`: the
spelling it links to (``?page=1`` is the bare URL), or ``None`` for an answer no spelling
of which is worth storing (an API offset past the end, a filter naming nothing).

The store policy refuses any other spelling (``X-Cache-Reason: not canonical``) and the
middleware answers it with a 301 to the canonical URL (tracking parameters kept after it,
for the scripts that read them). :func:`canonical_query` is pure; :func:`canonical_uri`
reads the request.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from urllib.parse import quote

from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import escape_uri_path

from cachekeys.keys import TrackingParams


_declared: ContextVar[list[str | None] | None] = ContextVar("cachekeys_canonical", default=None)
NO_SPELLING = None


@contextlib.contextmanager
def declaring() -> Iterator[list[str | None]]:
    """Collect what the view rendered inside the block declares its canonical URI to be."""
    declared: list[str | None] = []
    token = _declared.set(declared)
    try:
        yield declared
    finally:
        _declared.reset(token)


def declare_canonical(uri: str | None) -> None:
    """Say which spelling of this answer is stored (``None``: none is). No-op outside a render."""
    declared = _declared.get()
    if declared is not None:
        declared.append(uri)


class ReadQuery(QueryDict):
    """``request.GET`` that remembers which parameters the page read (all, once iterated).

    Installed by the page cache's middleware for the requests Nginx looked up; a
    parameter the page never read changed nothing in it, so it is no part of its URL.
    """

    def __init__(self, *args, **kwargs) -> None:
        self.read: set[str] = set()
        self.read_all = False
        super().__init__(*args, **kwargs)  # parsing reads through the methods below
        self.read.clear()
        self.read_all = False

    def _all(self) -> None:
        self.read_all = True

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self.read.add(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.read.add(key)
        return super().getlist(key, default)

    def __iter__(self):
        self._all()
        return super().__iter__()

    def __len__(self) -> int:
        self._all()
        return super().__len__()

    def keys(self):
        self._all()
        return super().keys()

    def items(self):
        self._all()
        return super().items()

    def lists(self):
        self._all()
        return super().lists()

    def values(self):
        self._all()
        return super().values()

    def dict(self):
        self._all()
        return super().dict()

    def copy(self):
        self._all()
        return super().copy()

    def urlencode(self, safe=None):
        self._all()
        return super().urlencode(safe)

    def was_read(self, name: str) -> bool:
        return self.read_all or name in self.read


def canonical_query(query: QueryDict, order: list[str]) -> str:
    """Return ``query`` spelled canonically: each name once, last value, none empty.

    ``order`` is the names as the request gave them, first appearance first.
    """
    parts = []
    read = query.was_read if isinstance(query, ReadQuery) else (lambda name: True)
    for name in dict.fromkeys(order):
        values = QueryDict.getlist(query, name)
        if name and values and values[-1] != "" and read(name):
            parts.append(f"{quote(name, safe='')}={quote(values[-1], safe='')}")
    return "&".join(parts)


def canonical_path(request: HttpRequest) -> str:
    """Return the path the site links to for the view this request resolved to."""
    match = request.resolver_match
    if match is not None and match.view_name:
        try:
            return reverse(match.view_name, args=match.args, kwargs=match.captured_kwargs)
        except NoReverseMatch:
            pass
    return escape_uri_path(request.path)


def request_query(request: HttpRequest) -> str:
    """Return the request's query (already without tracking) in its canonical spelling."""
    raw = request.META.get("QUERY_STRING", "")
    order = [name for part in raw.split("&") if part for name in QueryDict(part.encode("latin-1"))]
    return canonical_query(request.GET, order)


def canonical_uri(request: HttpRequest) -> str:
    """Return the canonical spelling of the request (its query already without tracking)."""
    query = request_query(request)
    return canonical_path(request) + ("?" + query if query else "")


def with_tracking(uri: str, request_uri: str, tracking: TrackingParams) -> str:
    """Return ``uri`` with the tracking parameters of ``request_uri`` after its own."""
    _, _, query = request_uri.partition("?")
    query = query.split("#", 1)[0]
    kept = [part for part in query.split("&") if part and part.split("=", 1)[0] in tracking]
    if not kept:
        return uri
    return uri + ("&" if "?" in uri else "?") + "&".join(kept)
