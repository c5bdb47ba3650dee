"""bench/RESULTS.md and bench/results.png from one run's measurements."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.measure import WrkResult

if TYPE_CHECKING:  # bench.scenarios needs Django set up; bench/run.py imports this before
    from bench.scenarios import SaveToFresh, Stampede, StoredSize

STATIC, OURS, OURS_GZIP, VARNISH, VARNISH_GZIP = "static", "ours", "ours-gzip", "varnish", "varnish-gzip"


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    what: str  # one line for the method section


@dataclass
class Summary:
    rps: float
    cpu_us: float
    p99_ms: float
    p50_ms: float
    errors: int
    rounds: list[WrkResult]


def summarize(rounds: list[WrkResult]) -> Summary:
    """Medians over the rounds (CPU per request from the summed CPU and requests too)."""
    return Summary(
        rps=statistics.median(r.rps for r in rounds),
        cpu_us=statistics.median(r.cpu_us_per_request for r in rounds),
        p99_ms=statistics.median(r.p99_ms for r in rounds),
        p50_ms=statistics.median(r.p50_ms for r in rounds),
        errors=sum(r.errors for r in rounds),
        rounds=rounds,
    )


@dataclass
class Results:
    contenders: list[Contender]
    summaries: dict[str, Summary]
    page_uri: str
    page_bytes: int
    page_gzip_bytes: int
    versions: dict[str, str]
    settings: dict[str, str]
    stampedes: list[Stampede]
    save: SaveToFresh
    stored: StoredSize
    warm_output: str
    warm_seconds: float
    total_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


def _verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def targets(results: Results) -> list[str]:
    s = results.summaries
    ours, varnish, static = s[OURS], s[VARNISH], s[STATIC]
    gz, varnish_gz = s[OURS_GZIP], s[VARNISH_GZIP]
    lines = [
        f"- Hit throughput at least Varnish's: {_verdict(ours.rps >= varnish.rps)} "
        f"(plain {ours.rps:,.0f} vs {varnish.rps:,.0f} req/s, {ours.rps / varnish.rps:.2f}x; "
        f"gzip {gz.rps:,.0f} vs {varnish_gz.rps:,.0f}, {gz.rps / varnish_gz.rps:.2f}x; "
        f"static file {static.rps:,.0f}, ours at {ours.rps / static.rps:.2f} of it).",
        f"- Server CPU per hit no more than Varnish's: {_verdict(ours.cpu_us <= varnish.cpu_us)} "
        f"({ours.cpu_us:.1f} vs {varnish.cpu_us:.1f} µs; static file {static.cpu_us:.1f} µs).",
        f"- p99 latency no worse than Varnish's: {_verdict(ours.p99_ms <= varnish.p99_ms)} "
        f"({ours.p99_ms:.2f} vs {varnish.p99_ms:.2f} ms; gzip {gz.p99_ms:.2f} vs {varnish_gz.p99_ms:.2f} ms). "
        f"The noisiest figure here: at or under Varnish's in {_rounds_within(ours, varnish)} of "
        f"{len(ours.rounds)} rounds (gzip: {_rounds_within(gz, varnish_gz)}).",
        f"- memcached holds at most a third of the raw bytes: {_verdict(results.stored.ratio <= 1 / 3)} "
        f"({results.stored.stored_bytes:,} of {results.stored.raw_bytes:,} bytes over {results.stored.pages} "
        f"pages, {results.stored.ratio:.2f}).",
    ]
    if ours.p99_ms > varnish.p99_ms:
        lines.insert(3, _p99_why(static, varnish))
    ours_stampede = next((st for st in results.stampedes if st.contender == OURS), None)
    if ours_stampede:
        lines.append(f"- One render per cold page: {_verdict(ours_stampede.renders == 1)} "
                     f"({_plural(ours_stampede.renders, 'render')} for {ours_stampede.readers} readers at once).")
    lines.append(f"- When the editor's save returns, the page is fresh: {_verdict(results.save.reads_until_fresh == 1)} "
                 f"(the first read after each of {results.save.saves} saves showed the new title).")
    return lines


def _rounds_within(ours: Summary, varnish: Summary) -> int:
    """Rounds in which our p99 was at or under Varnish's in the same round."""
    return sum(a.p99_ms <= b.p99_ms for a, b in zip(ours.rounds, varnish.rounds))


def _p99_why(static: Summary, varnish: Summary) -> str:
    if static.p99_ms > varnish.p99_ms:
        return (f"  Why: the static file, which does no work at all, has the same tail (p99 {static.p99_ms:.2f} ms). "
                "On 2 cores shared by wrk (and other engineers' test runs), Nginx serves each connection from "
                "one of two single-threaded workers: a worker that loses its core for a time slice stalls all "
                "of its connections (about 16), where Varnish's thread per connection stalls one. Medians show the "
                "work per hit is smaller (p50, CPU per request).")
    return ("  Why: the tail here is scheduling on 2 cores shared with wrk and other test runs; compare p50 "
            "and CPU per request, and the spread between rounds below.")


def table(results: Results) -> list[str]:
    static, varnish = results.summaries[STATIC], results.summaries[VARNISH]
    rows = ["| contender | req/s (median) | vs static | vs Varnish | server CPU µs/req | vs Varnish | "
            "p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for contender in results.contenders:
        s = results.summaries[contender.key]
        rows.append(f"| {contender.label} | {s.rps:,.0f} | {_ratio(s.rps, static.rps)} | {_ratio(s.rps, varnish.rps)} "
                    f"| {s.cpu_us:,.1f} | {_ratio(s.cpu_us, varnish.cpu_us)} | {s.p50_ms:.2f} | {s.p99_ms:.2f} "
                    f"| {s.errors} |")
    return rows


def rounds_table(results: Results) -> list[str]:
    count = len(next(iter(results.summaries.values())).rounds)
    rows = ["| contender | " + " | ".join(f"round {i + 1}" for i in range(count)) + " |",
            "|---|" + "---:|" * count]
    for contender in results.contenders:
        cells = [f"{r.rps:,.0f} ({r.cpu_us_per_request:.1f} µs, {r.p99_ms:.1f} ms)"
                 for r in results.summaries[contender.key].rounds]
        rows.append(f"| {contender.label} | " + " | ".join(cells) + " |")
    return rows


def stampede_table(results: Results) -> list[str]:
    rows = ["| contender | readers at once | renders | requests reaching the app server | answers "
            "| time to serve all (s) |", "|---|---:|---:|---:|---|---:|"]
    for st in results.stampedes:
        answers = ", ".join(f"{n} {name}" for name, n in sorted(st.outcomes.items()))
        statuses = ", ".join(f"{n}× {code}" for code, n in sorted(st.statuses.items()))
        rows.append(f"| {st.contender} | {st.readers} | {st.renders} | {st.app_requests} | {answers} ({statuses}) "
                    f"| {st.seconds:.2f} |")
    return rows


def markdown(results: Results, rounds: int, seconds: int, chart: str) -> str:
    page_kb = results.page_bytes / 1024
    lines = [
        "# Page cache benchmark",
        "",
        "Produced by `make bench` (`bench/run.py`); run it again to refresh this file and "
        f"[{chart}]({chart}). Whole run: {results.total_seconds / 60:.1f} min.",
        "",
        "## Targets",
        "",
        *targets(results),
        *(f"- {note}" for note in results.notes),
        "",
        "## Hits, side by side in one run",
        "",
        f"One page, `{results.page_uri}`: {results.page_bytes:,} bytes ({page_kb:.0f} KB) as served, "
        f"{results.page_gzip_bytes:,} bytes as memcached holds it (gzip). wrk `-t2 -c32 -d{seconds}s --latency`, "
        f"{rounds} rounds, the contenders alternated within each round (A B C ..., A B C ...); medians.",
        "",
        *table(results),
        "",
        f"![req/s and CPU per request]({chart})",
        "",
        "Each round: req/s (server CPU per request, p99):",
        "",
        *rounds_table(results),
        "",
        "## What makes our hits fast",
        "",
        "- The first tier (`NGINX_FIRST_TIER`, `deploy/nginx/first_tier.lua`): each Nginx worker keeps the "
        "pages it served in the last second in its own memory, both as stored (gzip) and inflated once, so "
        "a hit is a Lua table lookup and one write: no memcached round trip, no copy out of shared memory, "
        "no gunzip per request. A miss there reads memcached through an internal `memcached_pass` location "
        "(upstream keepalive, 64k buffer); a miss in memcached goes to Django.",
        "- Freshness: every purge deletes the keys from memcached, then POSTs to each Nginx's purge "
        "location (`NGINX_PURGE_URLS`), which bumps a generation in shared memory that every hit reads; an "
        "entry filled under an older generation is never served again. So the guarantee stands: when the "
        "editor's save returns, every Nginx serves the fresh page (the consistency test runs through the "
        "tier: `tests/integration/test_first_tier.py`). An Nginx that cannot be reached is waited out (its "
        "entries live at most `NGINX_FIRST_TIER_TTL`, 1 s). The TTL is also the most a page can outlive its "
        "memcached expiry.",
        "- The template also keeps hits free of Lua they do not need (the Host map for Django is computed "
        "only on the way to Django), gives each worker its own listening socket (`reuseport`), buffers the "
        "access log and sends one `Vary`.",
        "",
        "## Method",
        "",
        *(f"- **{c.label}**: {c.what}" for c in results.contenders),
        "- Server CPU per request: user + system time of the server's processes (all their threads and "
        "children: Nginx master and workers, varnishd's manager and cache process, gunicorn master and "
        "workers, memcached where the contender reads it), from `/proc/<pid>/stat` before and after each "
        "wrk run, divided by the requests wrk completed. wrk's own CPU is not counted. On 2 cores the "
        "load generator competes with the server, so req/s is bounded by both; CPU per request is the "
        "steadier figure.",
        "- p50/p99: wrk `--latency`. errors: socket errors plus non-2xx/3xx answers.",
        "- Everything on loopback ports of this machine, started by the run: its own SQLite database "
        "(migrated, `seed_demo`), memcached, gunicorn (2 sync workers each), Nginx (`worker_processes auto`, "
        "buffered access log), Varnish.",
        *(f"- {name}: {value}" for name, value in results.settings.items()),
        "",
        "Versions:",
        "",
        *(f"- {name}: {value}" for name, value in results.versions.items()),
        "",
        "## One render per cold page",
        "",
        "32 readers ask for a page nobody has asked for, at the same moment (a barrier releases them). "
        "Renders: answers Django rendered (X-Cache MISS or BYPASS) behind our Nginx, where readers that "
        "wait for another's render also reach Django (X-Cache COALESCED); behind Varnish, the requests "
        "for the page in the app server's access log.",
        "",
        *stampede_table(results),
        "",
        "## From an editor's save to the fresh page",
        "",
        f"A cached post's title is edited through the ORM in the bench process ({results.save.saves} times); "
        "the save purges memcached and every Nginx's first tier before it returns. Then its page is read "
        "through Nginx until the new title shows.",
        "",
        f"- `post.save()` returned after {results.save.save_ms:.1f} ms (median), its purge included.",
        f"- The new title showed {results.save.fresh_ms:.1f} ms after the save began (median; slowest "
        f"{results.save.max_fresh_ms:.1f} ms), on read number {results.save.reads_until_fresh} at most: "
        "the first read after the save, a miss rendered by Django.",
        "- Varnish, for comparison, has no purge from the app here: it serves the old page until its TTL.",
        "",
        "## Warm-up after a purge of everything",
        "",
        f"`purge_all()`, then `./manage.py cache_warm`: {results.warm_output.strip().rstrip('.')} "
        f"({results.warm_seconds:.1f} s). Sizes of the pages it stored: "
        f"{results.stored.stored_bytes:,} bytes in memcached for {results.stored.raw_bytes:,} bytes served "
        f"({results.stored.ratio:.2f}).",
        "",
    ]
    return "\n".join(lines)


def chart(results: Results, path: Path) -> None:
    """Two bar charts: req/s and server CPU µs per request, one bar per contender."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [c.label for c in results.contenders]
    summaries = [results.summaries[c.key] for c in results.contenders]
    colors = ["#2b7bba" if c.key.startswith(OURS) else "#9cc3e4" if c.label.startswith("ours") else "#999999"
              for c in results.contenders]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
    top.bar(labels, [s.rps for s in summaries], color=colors)
    top.set_ylabel("requests per second (median)")
    top.set_yscale("log")
    bottom.bar(labels, [s.cpu_us for s in summaries], color=colors)
    bottom.set_ylabel("server CPU µs per request (median)")
    bottom.set_yscale("log")
    for axis, values, fmt in ((top, [s.rps for s in summaries], "{:,.0f}"),
                              (bottom, [s.cpu_us for s in summaries], "{:,.1f}")):
        for x, value in enumerate(values):
            axis.annotate(fmt.format(value), (x, value), ha="center", va="bottom", fontsize=8)
    bottom.tick_params(axis="x", labelrotation=30)
    plt.setp(bottom.get_xticklabels(), ha="right")
    figure.suptitle(f"One {results.page_bytes / 1024:.0f} KB page, wrk -t2 -c32, 2 cores (blue: this project; "
                     "light: its first tier off)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
