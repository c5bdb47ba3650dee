"""The stored value: what Django writes to memcached and Nginx serves on a hit.

A value is a small plain header block, then the body::

    CK1 <status>\\n
    Name: value\\n          (zero or more: the headers a hit repeats)
    \\n
    <body>                 (gzip when the memcached flag has bit 0 set, GZIP_FLAG)

Nginx's Lua (``deploy/nginx/first_tier.lua``, ``parse``) reads the same format and
answers a hit with that status and those headers, plus the ones it sets itself
(:data:`SET_BY_NGINX`). Which of a response's headers are carried is decided here,
once: every header in :data:`CARRIED` is written into the value; a response with any
other header (neither carried nor set by Nginx) is not stored at all (see
:func:`uncarried`), so a hit never drops a header its miss had.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAGIC = b"CK1 "

# Headers a hit repeats as the miss had them: what a reader, a browser's security model,
# a crawler or a feed reader acts on.
CARRIED = frozenset(name.lower() for name in (
    "Content-Type", "Content-Language", "Content-Disposition", "Location", "Link",
    "Last-Modified", "ETag", "Expires", "Cache-Control", "X-Robots-Tag", "Allow",
    "Content-Security-Policy", "Content-Security-Policy-Report-Only", "Permissions-Policy",
    "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
    "Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy", "Cross-Origin-Resource-Policy",
    "Access-Control-Allow-Origin", "X-XSS-Protection",
))
# Headers Nginx writes on a hit itself (or that describe the connection, not the page).
SET_BY_NGINX = frozenset(name.lower() for name in (
    "Content-Length", "Content-Encoding", "Vary", "X-Cache", "X-Cache-Reason", "Date", "Server",
    "Connection", "Keep-Alive", "Transfer-Encoding",
))
# A header line must survive the round trip through the plain block and nginx.conf's
# ngx.header: a token name, a value without control characters, latin-1 only.
_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_VALUE = re.compile(r"^[\x20-\x7e\x80-\xff]*$")


@dataclass(frozen=True)
class Value:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # as stored: gzip when the value's flag says so


def carried(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the headers a hit repeats, in their order."""
    return [(name, value) for name, value in headers if name.lower() in CARRIED]


def uncarried(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Return the names of headers a hit could not repeat (the page must not be stored)."""
    bad = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in SET_BY_NGINX:
            continue
        if lowered not in CARRIED or not (_NAME.match(name) and _VALUE.match(value)):
            bad.append(name)
    return bad


def pack(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """Return the memcached value for a response (``body`` already compressed or not)."""
    lines = [f"{name}: {value}\n" for name, value in carried(headers)]
    head = f"{int(status)}\n" + "".join(lines) + "\n"
    return MAGIC + head.encode("latin-1") + body


def unpack(raw: bytes | None) -> Value | None:
    """Read a stored value; ``None`` for anything not in this format (never stored by us)."""
    if raw is None or not raw.startswith(MAGIC):
        return None
    end = raw.find(b"\n\n", len(MAGIC) - 1)
    if end == -1:
        return None
    status_line, *lines = raw[len(MAGIC):end].decode("latin-1").split("\n")
    if not status_line.isdigit():
        return None
    headers = []
    for line in lines:
        name, sep, value = line.partition(": ")
        if not sep:
            return None
        headers.append((name, value))
    return Value(int(status_line), tuple(headers), raw[end + 2:])
