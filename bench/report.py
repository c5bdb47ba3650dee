"""bench/RESULTS.md and bench/results.png from one run's measurements."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # these need Django set up; bench/run.py imports this module after it is
    from bench.day import Day
    from bench.flow import Results
    from bench.scenarios import Stampede
    from bench.zipf import SizeResult

THROUGHPUT_TARGET = 1.3  # x Varnish's req/s
GETS_SLACK = 1.5  # measured memcached reads per request may exceed the LRU model's misses by this factor
MEMORY_SLACK = 1.25  # a worker's growth may exceed the tier's budget by this factor (Lua's own overhead)
COLLAPSE = 0.7  # the large site keeps at least this share of the small site's req/s


def _verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


def _ours(size: SizeResult) -> list:
    return [c for c in size.contenders if c.key not in ("varnish", "static")]


def throughput_targets(size: SizeResult) -> list[str]:
    lines = []
    for contender in _ours(size):
        for profile in ("browser", "plain"):
            rps, v_rps = size.median(contender.key, profile, "rps"), size.median("varnish", profile, "rps")
            cpu, v_cpu = (size.median(contender.key, profile, "cpu_us_per_request"),
                          size.median("varnish", profile, "cpu_us_per_request"))
            p99, v_p99 = size.median(contender.key, profile, "p99_ms"), size.median("varnish", profile, "p99_ms")
            static = size.median("static", profile, "rps")
            lines.append(
                f"- {size.label}, {profile}, {contender.label}: throughput ≥ {THROUGHPUT_TARGET}× Varnish "
                f"{_verdict(rps >= THROUGHPUT_TARGET * v_rps)} ({rps:,.0f} vs {v_rps:,.0f} req/s, {rps / v_rps:.2f}×; "
                f"static files {static:,.0f}); CPU per hit ≤ Varnish's {_verdict(cpu <= v_cpu)} ({cpu:.1f} vs "
                f"{v_cpu:.1f} µs); p99 no worse {_verdict(p99 <= v_p99)} ({p99:.2f} vs {v_p99:.2f} ms).")
    return lines


def scale_targets(small: SizeResult, large: SizeResult) -> list[str]:
    lines = []
    for contender in _ours(large):
        for profile in ("browser", "plain"):
            share = large.median(contender.key, profile, "rps") / small.median(contender.key, profile, "rps")
            v_share = large.median("varnish", profile, "rps") / small.median("varnish", profile, "rps")
            cpu_small = small.median(contender.key, profile, "cpu_us_per_request")
            cpu_large = large.median(contender.key, profile, "cpu_us_per_request")
            lines.append(f"- No collapse at {large.pages:,} pages ({profile}, {contender.label}): "
                         f"{_verdict(share >= COLLAPSE)} (req/s at {large.label} is {share:.2f} of {small.label}'s; "
                         f"Varnish keeps {v_share:.2f}; CPU per hit {cpu_small:.1f} → {cpu_large:.1f} µs).")
    return lines


def gets_targets(size: SizeResult) -> list[str]:
    lines = []
    for contender in _ours(size):
        for profile in ("browser", "plain"):
            gets = size.median(contender.key, profile, "gets_per_request")
            model = size.lru_model.get((contender.key, profile))
            if model is None:
                lines.append(f"- {size.label}, {profile}, {contender.label}: memcached reads per request "
                             f"{gets:.3f}; this version names no first-tier budget to model an LRU with.")
                continue
            met = gets <= model * GETS_SLACK + 0.01
            lines.append(f"- {size.label}, {profile}, {contender.label}: memcached reads per request proportional to "
                         f"the misses of {_budget(size)} LRU {_verdict(met)} ({gets:.3f} measured, "
                         f"{model:.3f} modelled).")
    return lines


def _budget(size: SizeResult) -> str:
    return (f"a {size.budget_mb:g} MB shared" if size.budget_shared else f"a {size.budget_mb:g} MB per-worker")


def memory_targets(size: SizeResult) -> list[str]:
    lines = []
    for label, (start, after) in size.rss_kb.items():
        growth = max(after, default=0) - max(start, default=0)
        if size.budget_mb is None:
            lines.append(f"- {size.label}, {label}: workers' RSS {', '.join(f'{kb / 1024:.0f}' for kb in after)} MB "
                         "(no first-tier budget named).")
            continue
        met = growth <= size.budget_mb * 1024 * MEMORY_SLACK
        where = "the tier's shared memory, counted in each worker's RSS" if size.budget_shared else "per worker"
        where += f", plus {MEMORY_SLACK - 1:.0%} for the worker's own Lua heap"
        lines.append(f"- {size.label}, {label}: memory per worker within the tier's {size.budget_mb:g} MB budget ({where}) "
                     f"{_verdict(met)} (RSS {', '.join(f'{kb / 1024:.0f}' for kb in start)} MB at start, "
                     f"{', '.join(f'{kb / 1024:.0f}' for kb in after)} MB after this size's rounds; largest growth "
                     f"{growth / 1024:.1f} MB).")
    return lines


def day_targets(day: Day) -> list[str]:
    ours, varnish = day.results[0], day.results[-1]
    met = ours.reached_django * varnish.run.requests < varnish.reached_django * ours.run.requests
    return [f"- Day: a smaller share of requests reaches Django than through Varnish {_verdict(met)} "
            f"({_share(ours)}: {ours.reached_django:,} of {ours.run.requests:,}, against {_share(varnish)}: "
            f"{varnish.reached_django:,} of {varnish.run.requests:,}; renders per publish "
            f"{ours.renders_per_publish:.1f} vs {varnish.renders_per_publish:.1f}; p99 {ours.run.p99_ms:.1f} vs "
            f"{varnish.run.p99_ms:.1f} ms)."]


def _share(result) -> str:
    return f"{result.reached_django / max(result.run.requests, 1):.2%}"


def size_table(size: SizeResult) -> list[str]:
    rows = ["| contender | profile | req/s (median) | rounds min–max | vs Varnish | server CPU µs/req | vs Varnish "
            "| p50 ms | p99 ms | memcached gets/req | errors | non-2xx |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for profile in ("browser", "plain"):
        v_rps = size.median("varnish", profile, "rps")
        v_cpu = size.median("varnish", profile, "cpu_us_per_request")
        for c in size.contenders:
            runs = size.runs[(c.key, profile)]
            rps, cpu = size.median(c.key, profile, "rps"), size.median(c.key, profile, "cpu_us_per_request")
            gets = f"{size.median(c.key, profile, 'gets_per_request'):.3f}" if c.memcached else "-"
            rows.append(f"| {c.label} | {profile} | {rps:,.0f} | {min(r.rps for r in runs):,.0f}–"
                        f"{max(r.rps for r in runs):,.0f} | {_ratio(rps, v_rps)} | {cpu:.1f} | {_ratio(cpu, v_cpu)} "
                        f"| {size.median(c.key, profile, 'p50_ms'):.2f} | {size.median(c.key, profile, 'p99_ms'):.2f} "
                        f"| {gets} | {sum(r.errors for r in runs)} | {sum(r.non_2xx_3xx for r in runs)} |")
    return rows


def rounds_table(size: SizeResult) -> list[str]:
    count = len(next(iter(size.runs.values())))
    rows = ["| contender | profile | " + " | ".join(f"round {i + 1}" for i in range(count)) + " |",
            "|---|---|" + "---:|" * count]
    for profile in ("browser", "plain"):
        for c in size.contenders:
            cells = [f"{r.rps:,.0f} ({r.cpu_us_per_request:.1f} µs, {r.p99_ms:.1f} ms)" for r in size.runs[(c.key, profile)]]
            rows.append(f"| {c.label} | {profile} | " + " | ".join(cells) + " |")
    return rows


def size_section(size: SizeResult) -> list[str]:
    plain = sorted(size.warmed.plain_bytes.values())
    gz = sorted(size.warmed.gzip_bytes.values())
    budget = f"; the first tier's budget: {_budget(size).removeprefix('a ')}" if size.budget_mb else ""
    return [
        f"## Zipf readers, {size.label} ({size.pages:,} pages)",
        "",
        f"A {size.requests_in_sequence:,}-request sequence drawn from Zipf (s = 1) over the site's pages (the "
        f"sitemap aside) touches {size.distinct:,} distinct pages; each wrk thread walks it from its own offset, "
        f"looping. Median page {plain[len(plain) // 2]:,} bytes plain, {gz[len(gz) // 2]:,} gzip; the pages "
        f"touched total {sum(gz) / 2**20:.1f} MB gzip, {(sum(gz) + sum(plain)) / 2**20:.1f} MB gzip + plain{budget}. "
        f"Warm-up (rendered and stored through our Nginx): {size.warmed.seconds:.0f} s.",
        "",
        *size_table(size),
        "",
        "Each round: req/s (server CPU per request, p99):",
        "",
        *rounds_table(size),
        "",
        *(f"- {note}" for note in size.notes),
        "",
    ]


def day_section(day: Day) -> list[str]:
    rows = ["| | requests | req/s | reached Django | readers / shares / probes / shared parts reaching Django | publishes "
            "| renders per publish | p50 ms | p99 ms | 404s and other non-2xx/3xx | reader pages showing the last publish |",
            "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in day.results:
        a = r.app_requests
        rows.append(f"| {r.label} | {r.run.requests:,} | {r.run.rps:,.0f} | {r.reached_django:,} ({_share(r)}) "
                    f"| {a['reader']:,} / {a['share']:,} / {a['probe']:,} / {a['part']:,} | {r.publishes} "
                    f"| {r.renders_per_publish:.1f} "
                    f"| {r.run.p50_ms:.2f} | {r.run.p99_ms:.2f} | {r.run.non_2xx_3xx:,} | {r.fresh_pages} of {r.checked} |")
    mix = day.sequence_mix
    total = sum(mix.values())
    return [
        "## A magazine's day",
        "",
        f"One {total:,}-request sequence, wrk `-t2 -c32`, {day.seconds} s per contender: "
        f"{mix['reader'] / total:.0%} Zipf readers over the site's pages, {mix['share'] / total:.0%} a share spike "
        f"(`{day.share_uri}` with fresh `utm_*` and `fbclid` on every request), {mix['probe'] / total:.0%} bot probes "
        f"({day.probes} distinct: `/wp-login.php`, `/xmlrpc.php`, `/?p=N`, old slugs of renamed posts, WordPress "
        "date permalinks, junk spellings such as `/?page=2&page=2`, `/p%6fsts/…`, `/archive/02026/11/`). A post is "
        "published every 3 s through the ORM (the editor's save: our purge runs before it returns), and the same "
        "publish bans in Varnish what a CMS hook bans (the post, the home page and its pages, its category, tags, "
        "author and month, the feed, the sitemap). Both caches are warmed on the readers' pages before each run. "
        "Reached Django: lines in gunicorn's access log during the run (shared parts: the fragments Nginx asked "
        "Django for). Renders per publish: readers' pages "
        "Django rendered, per publish. The last column reads 40 reader pages after the run and counts those whose "
        "sidebar shows the last post published.",
        "",
        *rows,
        "",
        *(f"- {note}" for r in day.results for note in r.notes),
        *(f"- {r.label}, what reached Django most: " + ", ".join(f"`{uri}` {n}" for uri, n in r.top.most_common(8))
          for r in day.results if r.top),
        "",
    ]


def stampede_table(stampedes: list[Stampede]) -> list[str]:
    rows = ["| contender | readers at once | renders | requests reaching the app server | answers "
            "| time to serve all (s) |", "|---|---:|---:|---:|---|---:|"]
    for st in stampedes:
        answers = ", ".join(f"{n} {name}" for name, n in sorted(st.outcomes.items()))
        statuses = ", ".join(f"{n}× {code}" for code, n in sorted(st.statuses.items()))
        rows.append(f"| {st.contender} | {st.readers} | {st.renders} | {st.app_requests} | {answers} ({statuses}) "
                    f"| {st.seconds:.2f} |")
    return rows


# What was found out about a target this design misses, said whenever a run misses it
# (profiled on this machine, 1 December: `perf record -g` on the Nginx workers under wrk).
def why_missed() -> dict[str, str]:
    """Why each kind of target can be missed, naming the defaults the bench runs with (Django set up)."""
    from cachekeys.nginx import HOT_PAGES
    from cachekeys.options import DEFAULTS

    return {
        "throughput": (
            "Browsers' throughput: a hit is answered by Lua in each Nginx worker (the key's md5, the purge "
            "generation, a read of the tier's shared dict, each header set one by one, the metrics counters), "
            "where Varnish sends a stored object. On a worker serving the 300-post site's hits, `perf` puts the "
            "kernel's network path at about half the time, Nginx at a sixth and Lua with its module at a quarter: "
            "the Lua left is not enough to gain 30%. Clients without gzip are well ahead, since Varnish inflates "
            "for each of them and the tier keeps their plain copy."),
        "p99": (
            "p99: with wrk's 32 connections spread over two workers by the kernel and each worker "
            "answering its connections in turn, a request waits behind the others of its worker; Varnish's thread "
            "per connection spreads that wait. It follows the CPU per hit, so it is worst where that is highest."),
        "large": (
            f"At 30,000 posts: about half the hits fall outside a worker's {HOT_PAGES} hottest pages, so they copy "
            f"the page out of shared memory; and every copy is revalidated with a memcached read once its TTL "
            f"({DEFAULTS['NGINX_FIRST_TIER_TTL']:g} s) lapses."),
    }


def missed_explained(targets: list[str]) -> list[str]:
    """Why each kind of target this run missed is missed (nothing when all are met)."""
    missed = [line for line in targets if "**not met**" in line]
    kinds = []
    if any(f"throughput ≥ {THROUGHPUT_TARGET}× Varnish **not met**" in line for line in missed):
        kinds.append("throughput")
    if any("p99 no worse **not met**" in line for line in missed):
        kinds.append("p99")
    if any(line.startswith("- 30,000 posts") or "No collapse" in line for line in missed):
        kinds.append("large")
    reasons = why_missed()
    return [f"- {reasons[kind]}" for kind in kinds]


def markdown(results: Results, settings_lines: dict[str, str], chart: str) -> str:
    small = results.sizes[0]
    large = results.sizes[1] if len(results.sizes) > 1 else None
    ours_stampede = results.stampedes[0]
    targets = [line for size in results.sizes for line in throughput_targets(size)]
    if large:
        targets += scale_targets(small, large)
    targets += [line for size in results.sizes for line in gets_targets(size) + memory_targets(size)]
    if results.day:
        targets += day_targets(results.day)
    targets += [
        f"- One render per cold page: {_verdict(ours_stampede.renders == 1)} ({ours_stampede.renders} for "
        f"{ours_stampede.readers} readers at once).",
        f"- When the editor's save returns, the page is fresh: {_verdict(results.save.reads_until_fresh == 1)} "
        f"(the first read after each of {results.save.saves} saves showed the new title).",
        f"- memcached holds at most a third of the raw bytes: {_verdict(results.stored.ratio <= 1 / 3)} "
        f"({results.stored.ratio:.2f} over {results.stored.pages} pages).",
    ]
    fronts = ("`make run` and deploy/README.md's one-box recipe render the same Nginx site, so it is measured once "
              "(`ours: make run`)." if results.same_config else
              "`make run` and deploy/README.md's one-box recipe render different Nginx sites: both are measured.")
    lines = [
        "# Page cache benchmark",
        "",
        f"Produced by `make bench` (`bench/run.py`); run it again to refresh this file and [{chart}]({chart}). "
        f"Whole run: {results.total_seconds / 60:.1f} min. wrk `-t2 -c32 -d{results.seconds}s --latency`, "
        f"{results.rounds} rounds, the contenders alternated within each round; medians.",
        "",
        "## Targets",
        "",
        *targets,
        *(f"- {note}" for note in results.notes),
        "",
        *(["## Why what is not met is not met", "", *explained, ""] if (explained := missed_explained(targets)) else []),
        "## What is compared",
        "",
        f"- **ours**: the project's Nginx rendered by `manage.py nginx_config` with the environment a new user's "
        f"deploy gives it, no tuning. {fronts} Behind it memcached and gunicorn (3 workers, as deploy/Procfile).",
        "- **Varnish**: varnishd 7.1, `-s malloc,256m`, [bench/varnish.vcl](varnish.vcl): cookies stripped, tracking "
        "parameters taken off the looked-up URL, `beresp.do_gzip` on text, 1 h TTL (404s 60 s), 6 h grace, BAN "
        "from the CMS host. In front of the same gunicorn (at 30,000 posts it fills from our Nginx instead: the "
        "same bytes, since a render there takes ~400 ms and its warm-up alone would outlast the benchmark).",
        "- **Nginx, static files**: every page of the sequence as a file with a `.gz` twin (`gzip_static`), "
        "`open_file_cache`, same Nginx build and worker count: the upper bound.",
        "- Server CPU per request: user + system time of the server's processes (Nginx master and workers plus "
        "memcached for ours, varnishd's manager and cache process, the static Nginx) from `/proc/<pid>/stat` "
        "around each run, divided by the requests wrk completed. memcached gets: its `stats` cmd_get around each "
        "run. RSS: `/proc/<pid>/status` of each Nginx worker.",
        "- The LRU model: a least-recently-used cache of the first tier's budget (one per Nginx worker when each "
        "keeps its own, request i to worker i mod workers; one when they share it), fed the same sequence at the contender's measured rate, "
        "entries expiring after the tier's TTL if it has one (a lapsed entry costs the tier one read of memcached: "
        "it asks whether its copy still stands), for as many passes over the sequence as a run makes at that rate "
        "(browser: the gzip copy of each page; plain: gzip + plain copies); misses per request after a first pass. "
        "What the tier should read from memcached.",
        *(f"- {name}: {value}" for name, value in settings_lines.items()),
        "",
        f"![req/s per contender]({chart})",
        "",
    ]
    for size in results.sizes:
        lines += size_section(size)
    if large:
        lines.insert(lines.index(f"## Zipf readers, {large.label} ({large.pages:,} pages)") + 2,
                     f"The site grown from {small.posts} to {large.posts:,} posts by cloning posts with "
                     f"`bulk_create` and one `purge_all()` ({results.grow_seconds:.0f} s). gunicorn serves the "
                     "warm-up with the sidebar's two site-wide queries memoized (bench/memo_wsgi.py: each takes "
                     "~200 ms at this size on SQLite); hits never reach it.\n")
    if results.day:
        lines += day_section(results.day)
    lines += [
        "## One render per cold page",
        "",
        "32 readers ask for a page nobody has asked for, at the same moment. Renders: answers Django rendered "
        "(X-Cache MISS or BYPASS) behind our Nginx, where readers that wait for another's render also reach "
        "Django (X-Cache COALESCED); behind Varnish, the requests for the page in the app server's access log.",
        "",
        *stampede_table(results.stampedes),
        "",
        "## From an editor's save to the fresh page",
        "",
        f"- `post.save()` returned after {results.save.save_ms:.1f} ms (median of {results.save.saves}), its purge "
        f"included; the new title showed {results.save.fresh_ms:.1f} ms after the save began (slowest "
        f"{results.save.max_fresh_ms:.1f} ms), on read number {results.save.reads_until_fresh} at most.",
        "",
        "## Warm-up after a purge of everything",
        "",
        f"`purge_all()`, then `./manage.py cache_warm`: {results.warm_output.strip().rstrip('.')} "
        f"({results.warm_seconds:.1f} s). memcached holds {results.stored.stored_bytes:,} bytes for "
        f"{results.stored.raw_bytes:,} bytes served plain ({results.stored.ratio:.2f}).",
        "",
        "Versions:",
        "",
        *(f"- {name}: {value}" for name, value in results.versions.items()),
        "",
    ]
    return "\n".join(lines)


def chart(results: Results, path: Path) -> None:
    """req/s per contender, one panel per site size, browser and plain side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(results.sizes), figsize=(6 * len(results.sizes), 5), squeeze=False)
    for axis, size in zip(axes[0], results.sizes):
        labels = [c.label for c in size.contenders]
        for offset, profile, color in ((-0.2, "browser", "#2b7bba"), (0.2, "plain", "#9cc3e4")):
            values = [size.median(c.key, profile, "rps") for c in size.contenders]
            bars = axis.bar([x + offset for x in range(len(labels))], values, width=0.4, color=color, label=profile)
            axis.bar_label(bars, [f"{v / 1000:.0f}k" for v in values], fontsize=8)
        axis.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
        axis.set_title(f"{size.label} ({size.pages:,} pages), Zipf s=1")
        axis.set_ylabel("req/s (median)")
        axis.legend()
    figure.suptitle("wrk -t2 -c32, 2 shared cores")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
