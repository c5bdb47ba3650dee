"""One render per cold page, however many readers miss it at once.

Nginx sends every reader that misses to Django, so a page that is cold (new, expired or
just purged) and popular would be rendered once per reader until the first render is
stored. Instead, each such request tries to take a *claim* next to the page: memcached
``add`` of ``claim:<key>`` on the node that holds the page. ``add`` is atomic, so one
request wins and renders; the others poll memcached until the page appears and answer
with its bytes (``X-Cache: COALESCED``).

The claim's value says what its holder is doing, with the render ticket it took when it
started (``cachekeys.records``), so a waiter never serves a page older than a purge it has
already seen:

``rendering <seq>``
    A render with ticket ``seq`` is under way. It expires after ``CLAIM_SECONDS`` unless
    its holder, while alive, keeps touching it (:meth:`Coalescer.keeping`): a slow render
    keeps its claim, and a holder that dies (a killed worker) stops blocking anyone soon.
``stored <seq> <md5>``
    That render stored the page whose body has this md5. Kept ``VERDICT_SECONDS`` for
    the readers Nginx had already sent on before the page landed.
``unstored <seq>``
    That render's page was not stored (a 404, too large, purged during its render):
    readers render their own at once instead of queueing behind one another. Kept only
    ``CLAIM_SECONDS``: junk URLs each leave one, and they must not pile up in memcached.

A waiter serves the page only if the claim vouches for those very bytes and its render's
ticket is no older than the waiter's (:func:`next_step`). Anything else (memcached down,
a claim never resolving within ``COALESCE_WAIT_SECONDS``) ends in the request rendering
the page itself, as it would without coalescing: a reader never gets an error from here.
"""
from __future__ import annotations

import contextlib
import enum
import gzip
import hashlib
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cachekeys import value
from cachekeys.lookup import Lookup
from cachekeys.pool import MemcachedPool, NodeUnavailable

logger = logging.getLogger("cachekeys")

CLAIM_PREFIX = "claim:"
# First poll after this long, then twice as long each time up to POLL_MAX: a page
# renders in tens of milliseconds, and 32 waiters at 20 polls/s is nothing to memcached.
POLL_FIRST = 0.005
POLL_MAX = 0.05
# How long a finished render's verdict stays. Readers Nginx sent on before the page was
# stored may sit in gunicorn's backlog for a while; Nginx gives up on them after its
# proxy_read_timeout (60 s), so none is still coming after that.
VERDICT_SECONDS = 60
# How often a holder renews its claim, per CLAIM_SECONDS. memcached counts expiry on a
# clock it ticks once a second, and a busy memcached ticks late, so an item may expire a
# second or two early: renewing often keeps a live render's claim through that.
BEATS_PER_CLAIM = 5


class State(enum.Enum):
    RENDERING = "rendering"
    STORED = "stored"
    UNSTORED = "unstored"


@dataclass(frozen=True)
class Claim:
    state: State
    sequence: int  # the holder's render ticket (the last purge it had seen)
    digest: str = ""  # md5 of the uncompressed body it stored (STORED only)

    def encode(self) -> bytes:
        parts = [self.state.value, str(self.sequence)] + ([self.digest] if self.digest else [])
        return " ".join(parts).encode("ascii")

    def vouches_for(self, body: bytes | None) -> bool:
        """Return whether ``body`` is the very page this claim's render stored."""
        return self.state is State.STORED and body is not None and body_digest(body) == self.digest


class Step(enum.Enum):
    SERVE = "serve"  # a render at least as fresh as this request's stored the page
    TAKE = "take"  # nobody renders for this request: try to become the one who does
    WAIT = "wait"  # a render is under way: look again shortly
    RENDER = "render"  # render without a claim, as if there were no coalescing


@dataclass(frozen=True)
class Outcome:
    """What a request does after :meth:`Coalescer.claim_or_wait`."""

    body: bytes | None = None  # the stored page, uncompressed, when it may be served
    headers: tuple[tuple[str, str], ...] = ()  # the headers stored with it (a hit's)
    status: int = 200
    holding: bool = False  # this request holds the claim: it must settle it
    # False when the page's node just failed and would be asked again (the only node of
    # a pool stays in rotation, as in Nginx): storing would wait out a second timeout.
    store: bool = True


def claim_key(key: str) -> str:
    # A page key is 32 hex digits: the claim key stays far below memcached's 250 bytes.
    return CLAIM_PREFIX + key


def body_digest(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def decode(raw: bytes | None) -> Claim | None:
    """Read a claim value; ``None`` for an absent or unreadable one (nobody holds it)."""
    if raw is None:
        return None
    try:
        state, sequence, *digest = raw.decode("ascii").split()
        return Claim(State(state), int(sequence), digest[0] if digest else "")
    except (UnicodeDecodeError, ValueError, IndexError):
        return None


def coalescible(looked: Lookup) -> bool:
    """Return whether a request may take part: a GET Nginx sent as a miss, for a storable key.

    HEAD bodies are never stored, and a key that disagrees with the request (a client
    talking to gunicorn directly) would never be stored either: nothing to wait for.
    """
    return looked.method == "GET" and looked.agrees


def next_step(claim: Claim | None, body: bytes | None, sequence: int, waited_out: bool) -> Step:
    """Decide what a request with ticket ``sequence`` does, given the claim and the page.

    ``body`` is the page's uncompressed bytes as memcached holds them now, if any;
    ``waited_out`` says the request has waited ``COALESCE_WAIT_SECONDS`` already.
    """
    if claim is None:
        return Step.TAKE  # never taken, expired, or its holder gave it up
    if claim.state is State.RENDERING:
        return Step.RENDER if waited_out else Step.WAIT
    if claim.sequence < sequence:
        return Step.TAKE  # that render began before a purge this request has seen
    if claim.vouches_for(body):
        return Step.SERVE
    if claim.state is State.UNSTORED:
        return Step.RENDER  # its page could not be stored; this one will not be either
    return Step.TAKE  # stored, then purged, evicted or overwritten


def poll_delays(first: float = POLL_FIRST, most: float = POLL_MAX) -> Iterator[float]:
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, most)


def unpacked(stored: bytes | None) -> tuple[bytes | None, value.Value | None]:
    """Return the page body a stored value holds, uncompressed, and the value itself.

    ``(None, None)`` if it holds no page of ours (the claim cannot vouch for it).
    """
    page = value.unpack(stored)
    if page is None:
        return None, None
    try:
        return gzip.decompress(page.body), page
    except (OSError, EOFError, zlib.error):
        return None, None


class Coalescer:
    """The memcached side: take, watch and settle claims on the page key's node."""

    def __init__(self, pool: MemcachedPool, claim_seconds: int, wait_seconds: float,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.pool = pool
        self.claim_seconds = claim_seconds
        self.wait_seconds = wait_seconds
        self.clock = clock
        self.sleep = sleep

    def _on_node(self, key: str, method: str, *args, **kwargs):
        # The claim lives on the page's own node, so one round trip reads both, and the
        # claim follows the page when Nginx and Django fail over to the next node.
        server = self.pool.node_for(key)
        if server is None:
            raise NodeUnavailable(key)
        return self.pool.call(server, method, *args, **kwargs)

    def claim_or_wait(self, key: str, sequence: int) -> Outcome:
        """Take the claim on ``key``, or wait for the page another request renders."""
        deadline = self.clock() + self.wait_seconds
        delays = poll_delays()
        try:
            while True:
                found = self._on_node(key, "gets_many", [key, claim_key(key)])
                page, _ = found.get(key, (None, None))
                raw, token = found.get(claim_key(key), (None, None))
                claim, (body, stored) = decode(raw), unpacked(page)
                waited_out = self.clock() >= deadline
                step = next_step(claim, body, sequence, waited_out)
                if step is Step.SERVE:
                    return Outcome(body=body, headers=stored.headers, status=stored.status)
                if step is Step.RENDER:
                    return Outcome()
                if step is Step.TAKE and self._take(key, sequence, raw, token):
                    return Outcome(holding=True)
                if waited_out:
                    return Outcome()  # lost the race to take it, and no time left to wait
                self.sleep(min(next(delays), max(0.0, deadline - self.clock())))
        except NodeUnavailable as error:
            # No memcached, no coalescing: render as if it did not exist.
            return Outcome(store=self.pool.node_for(key) not in (None, *error.args))

    def _take(self, key: str, sequence: int, raw: bytes | None, token: bytes | None) -> bool:
        value = Claim(State.RENDERING, sequence).encode()
        # noreply=False everywhere: with noreply, pymemcache reports every add as won.
        if raw is None:
            return bool(self._on_node(key, "add", claim_key(key), value,
                                      expire=self.claim_seconds, noreply=False))
        # Replace a finished claim only if nobody replaced it since we read it.
        return bool(self._on_node(key, "cas", claim_key(key), value, token,
                                  expire=self.claim_seconds, noreply=False))

    @contextlib.contextmanager
    def keeping(self, key: str) -> Iterator[None]:
        """Keep the held claim alive for as long as the block (the render) runs.

        A render cannot pause to renew its claim, so a thread touches it
        :data:`BEATS_PER_CLAIM` times per ``CLAIM_SECONDS``: the claim's expiry then means
        "its holder died", never "its render is slow", and a slow render is not started a
        second time.
        """
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(key, stop), daemon=True,
                                name=f"cachekeys-claim-{key[:8]}")
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()

    def _beat(self, key: str, stop: threading.Event) -> None:
        try:
            while not stop.wait(self.claim_seconds / BEATS_PER_CLAIM):
                if not self._on_node(key, "touch", claim_key(key), self.claim_seconds, noreply=False):
                    return  # gone (expired in a stall, then taken): nothing of ours to keep
        except NodeUnavailable:
            return  # the claim is unreachable too; waiters render on their own
        finally:
            self.pool.close()  # this thread's own connections (pymemcache's are per thread)

    def settle(self, key: str, sequence: int, stored_body: bytes | None) -> None:
        """Say how the held claim's render ended: the page it stored, or none."""
        if stored_body is None:
            claim = Claim(State.UNSTORED, sequence)
        else:
            claim = Claim(State.STORED, sequence, body_digest(stored_body))
        try:
            self._on_node(key, "set", claim_key(key), claim.encode(),
                          expire=VERDICT_SECONDS if stored_body is not None else self.claim_seconds,
                          noreply=False)
        except NodeUnavailable:
            pass  # the claim expires on its own; waiters render after it

    def release(self, key: str) -> None:
        """Give up a held claim without a verdict (the render raised)."""
        try:
            self._on_node(key, "delete", claim_key(key), noreply=False)
        except NodeUnavailable:
            pass
