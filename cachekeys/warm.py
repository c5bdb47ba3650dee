"""Warming the page cache: every page the sitemap lists, fetched through Nginx in parallel.

After a deploy or a purge of everything, each page's first reader would wait for its
render. ``manage.py cache_warm`` asks Nginx for every page instead, so the renders (and
the stores, exactly where Nginx looks) happen before the readers come. Pages go through
Nginx, not to Django directly: only Nginx names the key a page is stored under.

Each page is requested with the Host its sitemap entry names, so it is stored under the
key its readers will look up. No Django import here beyond the pure key helpers.
"""
from __future__ import annotations

import gzip
import http.client
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from defusedxml import ElementTree

from cachekeys.keys import split_absolute_url

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
MAX_SITEMAPS = 1000  # an index of indexes, or a loop, must still end
AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]+)")


class WarmError(Exception):
    """The sitemap could not be read: Nginx unreachable, or no sitemap there."""


@dataclass(frozen=True)
class Page:
    host: str  # the Host header to send, port included when the sitemap names one
    uri: str


@dataclass
class WarmReport:
    outcomes: Counter = field(default_factory=Counter)  # X-Cache value -> pages
    errors: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(self.outcomes.values()) + len(self.errors)


class Client:
    """One keep-alive connection to Nginx per thread, sending Host as given."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WarmError(f"not an http(s) URL: {base_url!r}")
        self.address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        self.https = parts.scheme == "https"
        self.timeout = timeout
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []  # every thread's, to close
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self._local, "connection", None) is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self._local.connection = kind(*self.address, timeout=self.timeout)
            with self._lock:
                self._opened.append(self._local.connection)
        return self._local.connection

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def get(self, page: Page) -> tuple[int, str, bytes]:
        """Return status, X-Cache and body of ``page``."""
        try:
            return self._get(page)
        except (OSError, http.client.HTTPException):
            # Nginx closes a keep-alive connection after a while: retry once on a new one.
            return self._get(page)

    def _get(self, page: Page) -> tuple[int, str, bytes]:
        connection = self._connection()
        try:
            connection.putrequest("GET", page.uri, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", page.host)
            connection.putheader("Accept-Encoding", "gzip")  # Nginx need not inflate for us
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.getheader("X-Cache", "-"), response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self._local.connection = None
            raise


def page_from_url(url: str) -> Page:
    """The request a reader of absolute ``url`` sends: its Host (with any port) and URI."""
    _, uri = split_absolute_url(url)
    authority = AUTHORITY.match(url.strip())
    if not authority:
        raise ValueError(f"not an absolute URL: {url!r}")
    return Page(authority.group(1).rsplit("@", 1)[-1], uri)


def sitemap_locations(xml: bytes) -> tuple[list[str], list[str]]:
    """Return the page URLs and the child sitemap URLs (of an index) in a sitemap."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as error:
        raise WarmError(f"the sitemap is not XML: {error}") from error
    locations = [loc.text.strip() for loc in root.iter(f"{SITEMAP_NS}loc") if loc.text]
    if root.tag == f"{SITEMAP_NS}sitemapindex":
        return [], locations
    return locations, []


def sitemap_pages(client: Client, sitemap: Page) -> list[Page]:
    """Every page the sitemap at ``sitemap`` lists, following a sitemap index."""
    pages: list[Page] = []
    queue, seen = [sitemap], set()
    while queue and len(seen) < MAX_SITEMAPS:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        try:
            status, _, body = client.get(current)
        except (OSError, http.client.HTTPException) as error:
            raise WarmError(f"cannot reach {client.address[0]}:{client.address[1]}: {error}") from error
        if status != 200:
            raise WarmError(f"sitemap {current.uri} answered {status}")
        urls, children = sitemap_locations(_inflated(body))
        pages += [page_from_url(url) for url in urls]
        queue += [page_from_url(url) for url in children]
    return pages


def _inflated(body: bytes) -> bytes:
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def warm(client: Client, pages: Iterable[Page], concurrency: int,
         advance: Callable[[], None] = lambda: None) -> WarmReport:
    """Fetch ``pages`` with ``concurrency`` threads; tally what Nginx said of each."""
    report = WarmReport()
    unique = list(dict.fromkeys(pages))
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {pool.submit(client.get, page): page for page in unique}
        for future in as_completed(futures):
            page = futures[future]
            try:
                status, outcome, _ = future.result()
            except (OSError, http.client.HTTPException) as error:
                report.errors.append(f"{page.host}{page.uri}: {error}")
            else:
                if status == 200:
                    report.outcomes[outcome] += 1
                else:
                    report.errors.append(f"{page.host}{page.uri}: status {status}")
            advance()
    return report
