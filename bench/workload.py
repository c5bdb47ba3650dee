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


def lru_misses(sequence: Sequence[str], sizes: dict[str, int], budget_bytes: int, rounds: int = 3) -> float:
    """Misses per request of an LRU holding at most ``budget_bytes`` of ``sizes``, fed the
    sequence ``rounds`` times (wrk loops over it); the first pass (cold) is not counted."""
    held: OrderedDict[str, int] = OrderedDict()
    used = misses = counted = 0
    for round_number in range(rounds):
        for uri in sequence:
            if uri in held:
                held.move_to_end(uri)
                hit = True
            else:
                hit = False
                size = sizes.get(uri, 0)
                held[uri] = size
                used += size
                while used > budget_bytes and held:
                    used -= held.popitem(last=False)[1]
            if round_number:
                counted += 1
                misses += not hit
    return misses / max(counted, 1)
