"""Readers over a whole site: one size of the Zipf benchmark, every contender, both profiles.

The sequence's pages are warmed first (rendered and stored through our Nginx, fetched once
through Varnish, copied to the static server), so the rounds measure hits; then wrk walks
the same sequence on each contender in turn, round after round (A B C D, A B C D ...).
"""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import WrkResult, process_tree, run_wrk
from bench.servers import Front, StaticNginx, Varnish
from bench.workload import lru_misses, wrk_script, write_sequence, zipf_ranks, zipf_sequence
from tests.http import fetch

BROWSER = {"Accept-Encoding": "gzip, deflate, br"}
PROFILES = {"browser": BROWSER, "plain": None}
WARM_THREADS = 6


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    base_url: str
    pids: Callable[[], set[int]]
    memcached: list[str] = field(default_factory=list)  # read per request: its gets are counted
    sequence: Path | None = None  # its own URIs for the same sequence (the static server's file names)


@dataclass
class Warmed:
    plain_bytes: dict[str, int]
    gzip_bytes: dict[str, int]
    not_stored: list[str]  # pages our Nginx did not answer from the cache on the second read
    seconds: float
    skipped: int  # the least popular pages, left out when the warm-up ran out of time


@dataclass
class SizeResult:
    label: str
    posts: int
    pages: int
    distinct: int
    requests_in_sequence: int
    warmed: Warmed
    contenders: list[Contender]
    runs: dict[tuple[str, str], list[WrkResult]]
    rss_kb: dict[str, tuple[list[int], list[int]]]  # front label: workers' RSS when it started, after the rounds
    lru_model: dict[tuple[str, str], float]  # (contender, profile): misses per request of the tier's LRU model
    budget_mb: float | None
    budget_shared: bool  # one budget for all of an Nginx's workers (shared memory), else each worker's
    notes: list[str] = field(default_factory=list)

    def median(self, key: str, profile: str, attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in self.runs[(key, profile)])


def _read_both(base_url: str, uri: str) -> tuple[str, int, int, bool]:
    """A plain read (a miss renders and stores), then a browser's read: sizes, and was it a hit."""
    plain = fetch(base_url, uri, timeout=120)
    zipped = fetch(base_url, uri, headers=BROWSER, timeout=120)
    hit = plain.status == 200 and zipped.header("X-Cache") == "HIT"
    return uri, len(plain.body), len(zipped.body), hit


def warm_ours(front: Front, uris: list[str], seconds: float) -> Warmed:
    """Render and store ``uris`` (most popular first) through our Nginx, for at most ``seconds``."""
    began = time.perf_counter()
    deadline = began + seconds

    def read(uri: str):
        return _read_both(front.base_url, uri) if time.perf_counter() < deadline else None

    with ThreadPoolExecutor(WARM_THREADS) as pool:
        answers = [answer for answer in pool.map(read, uris) if answer is not None]
    return Warmed({u: p for u, p, _, _ in answers}, {u: g for u, _, g, _ in answers},
                  [u for u, _, _, hit in answers if not hit], time.perf_counter() - began,
                  len(uris) - len(answers))


def warm_varnish(varnish: Varnish, uris: list[str]) -> int:
    """One browser's read of each page through Varnish; how many were not hits on a second read."""
    with ThreadPoolExecutor(WARM_THREADS) as pool:
        list(pool.map(lambda uri: fetch(varnish.base_url, uri, headers=BROWSER, timeout=120), uris))
        second = list(pool.map(lambda uri: fetch(varnish.base_url, uri, headers=BROWSER, timeout=120), uris))
    return sum(answer.header("X-Cache") != "HIT" for answer in second)


def fill_static(static: StaticNginx, front: Front, uris: list[str], sequence: list[str], path: Path) -> Path:
    """Each page's bytes as served by our Nginx, as a file; the sequence in file names."""
    names = {}
    for index, uri in enumerate(uris):
        names[uri] = static.add(f"p{index}.html", fetch(front.base_url, uri, timeout=120).body)
    return write_sequence(path, [names[uri] for uri in sequence])


def measure_rounds(contenders: list[Contender], sequence_file: Path, rounds: int, seconds: int,
                   progress: Callable[[str], None]) -> dict[tuple[str, str], list[WrkResult]]:
    runs: dict[tuple[str, str], list[WrkResult]] = {(c.key, p): [] for c in contenders for p in PROFILES}
    plan = [(c, p, h) for p, h in PROFILES.items() for c in contenders]
    for contender, profile, headers in plan:  # JIT, connection pools and the tiers warm
        run_wrk(contender.base_url, contender.pids(), 1, headers=headers,
                script=wrk_script(contender.sequence or sequence_file))
    for number in range(rounds):
        progress(f"round {number + 1} of {rounds}")
        for contender, profile, headers in plan:
            runs[(contender.key, profile)].append(run_wrk(
                contender.base_url, contender.pids(), seconds, headers=headers,
                script=wrk_script(contender.sequence or sequence_file), memcached=contender.memcached))
    return runs


def run_size(label: str, posts: int, pages: list[str], fronts: list[Front], varnish: Varnish, static: StaticNginx,
             memcached: list[str], memcached_pids: set[int], work_dir: Path, rounds: int, seconds: int,
             budget: tuple[float | None, bool], ttl: float | None, length: int, warm_seconds: float,
             step: Callable[[str], None]) -> SizeResult:
    ranked = zipf_ranks([uri for uri in pages if not uri.endswith("sitemap.xml")])
    sequence = zipf_sequence(ranked, length)
    rank = {uri: n for n, uri in enumerate(ranked)}
    distinct = sorted(set(sequence), key=rank.__getitem__)
    step(f"{label}: warming the {len(distinct):,} pages a {len(sequence):,}-request Zipf sequence over "
         f"{len(ranked):,} pages touches, most popular first, for at most {warm_seconds:.0f} s "
         "(through our Nginx: rendered and stored)")
    warmed = warm_ours(fronts[0], distinct, warm_seconds)
    if warmed.skipped:  # the tail that could not be rendered in time leaves the sequence
        distinct = [uri for uri in distinct if uri in warmed.plain_bytes]
        sequence = [uri for uri in sequence if uri in warmed.plain_bytes]
    sequence_file = write_sequence(work_dir / f"sequence-{posts}.txt", sequence)
    step(f"{label}: warmed {len(distinct):,} pages in {warmed.seconds:.0f} s; Varnish and the static files")
    varnish_misses = warm_varnish(varnish, distinct)
    static_sequence = fill_static(static, fronts[0], distinct, sequence, work_dir / f"static-{posts}.txt")
    contenders = [Contender(f.label, f"ours: {f.label}", f.base_url,
                            (lambda f=f: process_tree(f.process.pid) | memcached_pids), memcached) for f in fronts]
    contenders += [Contender("varnish", "Varnish", varnish.base_url, lambda: process_tree(varnish.process.pid)),
                   Contender("static", "Nginx, static files", static.base_url,
                             lambda: process_tree(static.process.pid), sequence=static_sequence)]
    step(f"{label}: wrk, {rounds} rounds of {len(contenders) * len(PROFILES)} runs of {seconds} s")
    runs = measure_rounds(contenders, sequence_file, rounds, seconds, lambda m: step(f"{label}: {m}"))
    after = {front.label: front.worker_rss() for front in fronts}
    model = {}
    budget_mb, shared = budget
    if budget_mb:
        budget_bytes = int(budget_mb * 1024 * 1024)
        sizes = {"browser": warmed.gzip_bytes,
                 "plain": {uri: warmed.plain_bytes[uri] + warmed.gzip_bytes[uri] for uri in distinct}}
        for front in fronts:
            for profile in PROFILES:
                rate = statistics.median(r.rps for r in runs[(front.label, profile)])
                workers = 1 if shared else max(len(front.start_rss), 1)
                # The steady state: averaged over several TTLs at that rate (the model's entries
                # are all filled in its first pass, so their lapses come in waits of one TTL).
                span = max(seconds, 4 * ttl) if ttl else seconds
                passes = 1 + max(2, math.ceil(rate * span / len(sequence)))
                model[(front.label, profile)] = lru_misses(sequence, sizes[profile], budget_bytes, ttl=ttl,
                                                           rate=rate, workers=workers, rounds=passes)
    notes = []
    if warmed.skipped:
        notes.append(f"The warm-up ran out of its {warm_seconds:.0f} s: the {warmed.skipped:,} least popular pages of the "
                     f"sequence were left out of it (and their requests out of the sequence), so the sequence touches "
                     f"{len(distinct):,} pages in {len(sequence):,} requests.")
    if warmed.not_stored:
        notes.append(f"{len(warmed.not_stored)} of the {len(distinct):,} pages were not answered from the cache "
                     f"on a second read (for example `{warmed.not_stored[0]}`): each request for one reaches Django.")
    if varnish_misses:
        notes.append(f"Varnish missed {varnish_misses} pages on a second read after its warm-up.")
    return SizeResult(label, posts, len(pages), len(distinct), len(sequence), warmed, contenders, runs,
                      {f.label: (f.start_rss, after[f.label]) for f in fronts}, model, budget_mb, shared, notes)

