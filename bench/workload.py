"""Request sequences for wrk: Zipf-distributed readers (s = 1) over a site's pages.

The sequence is drawn once (seeded) and written to a file that ``bench/sequence.lua`` walks,
each wrk thread from its own offset, so every contender gets the same requests in the same
proportions. ``lru_misses`` is the model the measured memcached reads are compared with: a
least-recently-used cache of a fixed byte budget, fed the same sequence.
"""
from __future__ import annotations

import bisect
import itertools
import random
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

SCRIPT = Path(__file__).with_name("sequence.lua")
SHARE = "~"  # a line starting with it: the page as a shared link, fresh tracking parameters each time


DEEP_PAGE_WEIGHT = 50  # page N of a listing is as popular as the (N x 50)th newest post


def zipf_ranks(pages: Sequence[str], seed: int = 7) -> list[str]:
    """Popularity order of a site's pages (as ``bench.content.site_pages`` lists them, posts
    newest first): the home page, then the first page of every listing and the feed (in a
    seeded random order), then posts from the newest, with page N of each listing ranked
    beside the (N x 50)th newest post: readers read the front pages and recent stories;
    page 900 of the archive is for crawlers."""
    home, fronts, ranked, posts = pages[0], [], [], 0
    for uri in pages[1:]:
        if "?page=" in uri:
            ranked.append((int(uri.rsplit("=", 1)[1]) * DEEP_PAGE_WEIGHT, uri))
        elif uri.startswith("/posts/"):
            ranked.append((posts, uri))
            posts += 1
        else:
            fronts.append(uri)
    random.Random(seed).shuffle(fronts)
    return [home, *fronts, *(uri for _, uri in sorted(ranked, key=lambda pair: pair[0]))]


def zipf_sequence(ranked: Sequence[str], length: int, s: float = 1.0, seed: int = 11) -> list[str]:
    """``length`` requests where the page of rank k is drawn with probability ∝ 1/k^s."""
    weights = itertools.accumulate(1 / k ** s for k in range(1, len(ranked) + 1))
    cumulative = list(weights)
    rng, total = random.Random(seed), cumulative[-1]
    return [ranked[min(bisect.bisect_left(cumulative, rng.random() * total), len(ranked) - 1)]
            for _ in range(length)]


def write_sequence(path: Path, uris: Sequence[str]) -> Path:
    path.write_text("".join(f"{uri}\n" for uri in uris))
    return path


def wrk_script(sequence_file: Path, threads: int = 2) -> tuple[Path, list[str]]:
    """The wrk script and arguments that make it walk ``sequence_file``."""
    return SCRIPT, [str(sequence_file), str(threads)]


def lru_misses(sequence: Sequence[str], sizes: dict[str, int], budget_bytes: int, rounds: int = 3,
               ttl: float | None = None, rate: float | None = None, workers: int = 1) -> float:
    """Misses per request of ``workers`` least-recently-used caches of ``budget_bytes`` each
    (request i goes to worker i mod ``workers``), fed the sequence ``rounds`` times (wrk loops
    over it) at ``rate`` requests a second, entries expiring ``ttl`` seconds after they were
    filled; the first pass (cold) is not counted."""
    caches: list[OrderedDict[str, float]] = [OrderedDict() for _ in range(workers)]
    used = [0] * workers
    misses = counted = 0
    for round_number in range(rounds):
        for index, uri in enumerate(sequence):
            worker = index % workers
            held, now = caches[worker], (round_number * len(sequence) + index) / rate if rate else 0.0
            filled = held.get(uri)
            hit = filled is not None and (ttl is None or now - filled < ttl)
            if hit:
                held.move_to_end(uri)
            else:
                if filled is None:
                    used[worker] += sizes.get(uri, 0)
                held[uri] = now
                held.move_to_end(uri)
                while used[worker] > budget_bytes and held:
                    used[worker] -= sizes.get(held.popitem(last=False)[0], 0)
            if round_number:
                counted += 1
                misses += not hit
    return misses / max(counted, 1)
