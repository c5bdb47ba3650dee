"""Nginx's ``hash $key consistent`` ring, so Django writes a page to the node Nginx reads.

A port of ``ngx_http_upstream_hash_module.c`` (``ngx_http_upstream_init_chash`` and
``ngx_http_upstream_get_chash_peer``): each server, named exactly as in its ``server``
line, gets ``weight * 160`` points ``crc32(HOST "\\0" PORT PREV_HASH)`` (the scheme of
Cache::Memcached::Fast); a key goes to the first point at or after ``crc32(key)``, and a
failed server is skipped by walking on to the next points, as Nginx does on a retry.
Every server has weight 1: the rendered upstream gives none, and ``MEMCACHED_SERVERS``
has no way to say one.
pymemcache's own HashClient uses rendezvous hashing, which would scatter pages where
Nginx never looks.
"""
from __future__ import annotations

import bisect
import struct
import zlib
from collections.abc import Callable, Iterator

POINTS_PER_WEIGHT = 160
# ngx_http_upstream_get_chash_peer looks at a point, and on a dead server moves on and
# counts a try; it gives up for round robin when the count passes 20. So it looks at 21
# points: the first and 20 more. Round robin is unpredictable, so Django stores nowhere then.
MAX_TRIES = 20


def _host_and_port(server: str) -> tuple[bytes, bytes]:
    raw = server.encode()
    if raw[:5].lower() == b"unix:":
        return raw[5:], b""
    host, sep, port = raw.rpartition(b":")
    if sep and port.isdigit():
        return host, port
    return raw, b""


def _server_points(server: str, weight: int = 1) -> Iterator[int]:
    host, port = _host_and_port(server)
    base = host + b"\0" + port
    previous = 0
    for _ in range(weight * POINTS_PER_WEIGHT):
        # prev_hash is a union of uint32 and 4 bytes in C: little-endian on every
        # platform Nginx runs here (x86-64, arm64).
        point = zlib.crc32(base + struct.pack("<I", previous))
        yield point
        previous = point


class ConsistentRing:
    """The points of Nginx's consistent hash over ``servers``, deduplicated and sorted."""

    def __init__(self, servers: list[str]) -> None:
        if not servers:
            raise ValueError("a ring needs at least one server")
        by_hash: dict[int, str] = {}
        for server in servers:
            for point in _server_points(server):
                # Nginx keeps the first of equal points after an unstable qsort; equal
                # crc32 points between servers are rare enough not to matter in practice.
                by_hash.setdefault(point, server)
        self._hashes = sorted(by_hash)
        self._servers = [by_hash[h] for h in self._hashes]

    def candidates(self, key: str) -> Iterator[str]:
        """Yield servers in the order Nginx tries them for ``key``, each once."""
        start = bisect.bisect_left(self._hashes, zlib.crc32(key.encode()))
        seen: set[str] = set()
        for step in range(MAX_TRIES + 1):
            server = self._servers[(start + step) % len(self._servers)]
            if server not in seen:
                seen.add(server)
                yield server

    def node_for(self, key: str, is_alive: Callable[[str], bool] = lambda s: True) -> str | None:
        """Return the first live server Nginx would pick for ``key``, or None."""
        return next((server for server in self.candidates(key) if is_alive(server)), None)
