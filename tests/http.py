"""A plain HTTP client that sends the request line and Host exactly as given.

``urllib`` and ``requests`` normalise URLs; the cache key depends on the raw bytes, so the
integration tests talk to Nginx through ``http.client`` or a socket.
"""
from __future__ import annotations

import gzip
import http.client
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def x_cache(self) -> str:
        """What the stack said about the cache: HIT, MISS, BYPASS... ("(none)" if nothing)."""
        return self.header("X-Cache") or "(none)"

    def describe(self) -> str:
        """The status and what the cache said, for an assertion message."""
        reason = self.header("X-Cache-Reason")
        return f"{self.status}, X-Cache: {self.x_cache}" + (f" ({reason})" if reason else "")

    @property
    def text(self) -> str:
        body = gzip.decompress(self.body) if self.header("Content-Encoding") == "gzip" else self.body
        return body.decode("utf-8", "replace")


def fetch(base_url: str, uri: str = "/", *, method: str = "GET", host: str | None = None,
          headers: dict[str, str] | None = None, body: bytes | None = None, timeout: float = 10,
          source: str | None = None) -> Response:
    """``source``: the local address to connect from (another client: 127.0.0.2, 127.0.0.3...)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                            source_address=(source, 0) if source else None)
    try:
        connection.putrequest(method, uri, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or parts.netloc)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def raw_request(base_url: str, request: bytes, timeout: float = 10) -> bytes:
    """Send ``request`` bytes verbatim (odd request lines) and return the raw answer."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


LINK = re.compile(r'href="(/[^"#]*)"')
LOC = re.compile(r"<loc>https?://[^/<]+(/[^<]*)</loc>")
NOT_PAGES = ("/admin/", "/static/", "/media/", "/api/v1/me/")


def crawl(base_url: str, host: str, limit: int, start: tuple[str, ...] = ("/", "/sitemap.xml", "/feed/")) -> list[str]:
    """Every page reachable from ``start`` through links and sitemap entries (at most ``limit``)."""

    def get(uri: str) -> tuple[int, str]:
        page = fetch(base_url, uri, host=host)
        return page.status, page.text

    return crawl_with(get, limit, start)


def crawl_with(get: Callable[[str], tuple[int, str]], limit: int,
               start: tuple[str, ...] = ("/", "/sitemap.xml", "/feed/")) -> list[str]:
    """Like :func:`crawl`, reading each page with ``get(uri) -> (status, text)``."""
    seen: list[str] = []
    queue = list(start)
    while queue and len(seen) < limit:
        uri = queue.pop(0)
        if uri in seen or uri.startswith(NOT_PAGES):
            continue
        status, text = get(uri)
        if status != 200:
            continue
        seen.append(uri)
        text = text.replace("&amp;", "&")
        queue += [u for u in LINK.findall(text) + LOC.findall(text) if u not in seen]
    return seen
