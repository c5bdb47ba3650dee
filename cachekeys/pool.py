"""Talking to the memcached nodes Nginx reads from: store pages, delete keys.

One pymemcache ``Client`` per node (pymemcache's HashClient maps keys differently from
Nginx, see ``cachekeys.ring``). Every failure is logged and swallowed: a memcached that
is down, slow or full never costs a reader a page or an editor a save.
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterable

from pymemcache.client.base import Client
from pymemcache.client.retrying import RetryingClient
from pymemcache.exceptions import MemcacheError, MemcacheUnexpectedCloseError

from cachekeys.conf import Config, get_config
from cachekeys.ring import ConsistentRing

logger = logging.getLogger("cachekeys")

# Nginx's upstream defaults: a peer that failed once (max_fails=1) is skipped for
# fail_timeout=10s; Django skips a node for as long, so both move to the same next node.
DEAD_SECONDS = 10.0
# memcached reads an expiry over 30 days as an absolute Unix time.
MAX_RELATIVE_EXPIRY = 60 * 60 * 24 * 30
# A connection a restarted node closed fails once on its next use: one more try on a new
# connection, else the first purge after every memcached restart would miss that node.
# Refusals and timeouts are not retried: the node is down or hung, and is skipped.
STALE_CONNECTION = (MemcacheUnexpectedCloseError, BrokenPipeError, ConnectionResetError)


class NodeUnavailable(Exception):
    """A memcached node refused, timed out or answered garbage."""


class MemcachedPool:
    def __init__(self, servers: list[str], connect_timeout: float, io_timeout: float) -> None:
        self.servers = list(servers)
        self.ring = ConsistentRing(self.servers)
        self._connect_timeout = connect_timeout
        self._io_timeout = io_timeout
        self._local = threading.local()  # pymemcache clients are not thread-safe
        self._dead_until: dict[str, float] = {}

    def _client(self, server: str) -> RetryingClient:
        clients = self._local.__dict__.setdefault("clients", {})
        if server not in clients:
            host, _, port = server.rpartition(":")
            clients[server] = RetryingClient(Client(
                (host.strip("[]"), int(port)),
                connect_timeout=self._connect_timeout,
                timeout=self._io_timeout,
                no_delay=True,
                # noreply would make every command "succeed"; we need the answers.
                default_noreply=False,
            ), attempts=2, retry_for=STALE_CONNECTION)
        return clients[server]

    def is_alive(self, server: str) -> bool:
        # Nginx never takes the only server of an upstream out of rotation; neither do we.
        if len(self.servers) == 1:
            return True
        return self._dead_until.get(server, 0.0) <= time.monotonic()

    def _mark_dead(self, server: str, error: Exception) -> None:
        self._dead_until[server] = time.monotonic() + DEAD_SECONDS
        self._client(server).close()
        logger.warning("memcached %s failed (%s); skipping it for %ss", server, error, DEAD_SECONDS)

    def node_for(self, key: str) -> str | None:
        return self.ring.node_for(key, self.is_alive)

    def call(self, server: str, method: str, *args, **kwargs):
        """Run one pymemcache command on ``server``; a failure marks it dead and raises."""
        try:
            return getattr(self._client(server), method)(*args, **kwargs)
        except (OSError, MemcacheError) as error:
            self._mark_dead(server, error)
            raise NodeUnavailable(server) from error

    def set(self, key: str, value: bytes, expire: int, flags: int) -> bool:
        """Store ``value`` on the node Nginx reads ``key`` from; False if it could not."""
        expire = min(max(int(expire), 1), MAX_RELATIVE_EXPIRY)
        for _ in range(len(self.servers)):
            server = self.node_for(key)
            if server is None:
                return False
            try:
                return bool(self.call(server, "set", key, value, expire=expire, flags=flags))
            except NodeUnavailable:
                continue  # Nginx moves to the next node on the ring; so do we
        return False

    def get(self, key: str) -> bytes | None:
        server = self.node_for(key)
        if server is None:
            return None
        try:
            return self.call(server, "get", key)
        except NodeUnavailable:
            return None

    def delete_many(self, keys: Iterable[str]) -> list[str]:
        """Delete ``keys`` from every node, one round trip a node; return the failed nodes.

        A key is deleted on every node, not only its ring node: a node that was skipped
        while down may come back still holding an old copy Nginx would read again.
        """
        keys = list(keys)
        if not keys:
            return []
        return [server for server in self.servers if not self.delete_on(server, keys)]

    def delete_on(self, server: str, keys: list[str]) -> bool:
        """Delete ``keys`` on one node in one round trip; False if it could not be reached."""
        try:
            self.call(server, "delete_many", keys, noreply=False)
        except NodeUnavailable:
            return False
        return True

    def close(self) -> None:
        for client in self._local.__dict__.get("clients", {}).values():
            client.close()



@functools.cache
def _pool_for(servers: tuple[str, ...], connect_timeout: float, io_timeout: float) -> MemcachedPool:
    return MemcachedPool(list(servers), connect_timeout, io_timeout)


def get_pool(config: Config | None = None) -> MemcachedPool:
    """Return the process's pool for the configured servers (one per distinct setting)."""
    config = config or get_config()
    return _pool_for(tuple(config.servers), config.connect_timeout, config.io_timeout)
