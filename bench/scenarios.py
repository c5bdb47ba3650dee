"""The benchmark's measurements other than throughput: stampede, save to fresh page, sizes."""
from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from blog.models import Post
from cachekeys.keys import page_key
from cachekeys.store import get_pool
from tests.http import fetch

READERS = 32


# Answers that were rendered for the reader who got them (X-Cache of Django's answers).
RENDERED = {"MISS", "BYPASS"}


@dataclass(frozen=True)
class Stampede:
    contender: str
    readers: int
    app_requests: int  # requests for that page in the app server's access log
    outcomes: Counter  # X-Cache of the answers (Varnish: its own hit/miss)
    statuses: Counter
    seconds: float  # until the last reader had its page

    @property
    def renders(self) -> int:
        """Renders of the page: Varnish sends the app only what it will render; behind our
        Nginx, waiters also reach Django (X-Cache: COALESCED) but are served another's render."""
        if any(outcome.startswith("Varnish") for outcome in self.outcomes):
            return self.app_requests
        return sum(n for outcome, n in self.outcomes.items() if outcome in RENDERED)


def access_log_count(log: Path, uri: str) -> int:
    """How many requests for ``uri`` gunicorn's access log holds."""
    needle = f'"GET {uri} HTTP/'
    return sum(needle in line for line in log.read_text(errors="replace").splitlines())


def stampede(name: str, base_url: str, uri: str, app_log: Path, readers: int = READERS) -> Stampede:
    """``readers`` requests for one cold page, all sent at the same moment."""
    gate = threading.Barrier(readers)
    answers: list = [None] * readers

    def read(index: int) -> None:
        gate.wait(timeout=30)
        answers[index] = fetch(base_url, uri, timeout=60)

    before = access_log_count(app_log, uri)
    began = time.perf_counter()
    threads = [threading.Thread(target=read, args=(i,)) for i in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    seconds = time.perf_counter() - began
    time.sleep(0.5)  # gunicorn writes its access line after the response
    return Stampede(
        contender=name, readers=readers, app_requests=access_log_count(app_log, uri) - before,
        outcomes=Counter(_outcome(a) for a in answers if a is not None),
        statuses=Counter(a.status for a in answers if a is not None), seconds=seconds,
    )


def _outcome(answer) -> str:
    if answer.header("X-Varnish"):
        return "Varnish hit" if len(answer.header("X-Varnish").split()) == 2 else "Varnish miss"
    return answer.header("X-Cache") or "-"


@dataclass(frozen=True)
class SaveToFresh:
    saves: int
    save_ms: float  # median time for post.save() to return (its purge included)
    fresh_ms: float  # median time from the save to the first fetch showing the new title
    max_fresh_ms: float
    reads_until_fresh: int  # most reads any save needed: 1 means fresh at once


def save_to_fresh(base_url: str, post: Post, saves: int = 5) -> SaveToFresh:
    """Edit a cached post's title by the ORM; poll its page through Nginx until it shows."""
    uri = post.get_absolute_url()
    save_ms, fresh_ms, reads = [], [], []
    for n in range(saves):
        fetch(base_url, uri)
        fetch(base_url, uri)  # a hit, and in the first tier
        marker = f"bench-edit-{n + 1}"  # plain ASCII: the page shows it unescaped
        began = time.perf_counter()
        post.title = f"{post.title.split(' bench-edit-')[0]} {marker}"
        post.save()
        save_ms.append((time.perf_counter() - began) * 1000)
        for attempt in range(1, 501):
            if marker.encode() in fetch(base_url, uri).body:
                break
            time.sleep(0.01)
        else:
            raise RuntimeError(f"{uri} never showed its new title")
        fresh_ms.append((time.perf_counter() - began) * 1000)
        reads.append(attempt)
    return SaveToFresh(saves, statistics.median(save_ms), statistics.median(fresh_ms), max(fresh_ms), max(reads))


@dataclass(frozen=True)
class StoredSize:
    pages: int
    stored_bytes: int  # what memcached holds
    raw_bytes: int  # the pages as served to a client without gzip

    @property
    def ratio(self) -> float:
        return self.stored_bytes / max(self.raw_bytes, 1)


def stored_sizes(base_url: str, uris: list[str]) -> StoredSize:
    """Sum what memcached holds for ``uris`` and what a client without gzip is sent."""
    pool = get_pool()
    host = urlsplit(base_url).hostname
    stored = raw = pages = 0
    for uri in uris:
        value = pool.get(page_key(host, uri))
        if value is not None:
            pages += 1
            stored += len(value)
            raw += len(fetch(base_url, uri).body)
    return StoredSize(pages, stored, raw)
