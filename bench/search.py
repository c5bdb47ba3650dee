"""Benchmark search on 30,000 posts; write the results to bench/SEARCH.md.

    .venv/bin/python bench/search.py [--posts 30000] [--repeat 30] [--database-url URL]

1. Build a fresh, migrated database (a SQLite file under bench/work/search/ unless
   ``--database-url`` names another, e.g. a PostgreSQL test database) with ``--posts``
   published posts whose words follow a Zipf law over a 4,000-word vocabulary (so some
   words are in most posts and others in a handful), 3 tags each, 12 categories.
2. Index them (``blog.search.rebuild``) and time it.
3. Time each query kind ``--repeat`` times: the search itself (the newest matches, at
   most ``blog.search.MAX_RESULTS``, counted and ranked, the page of 10 highlighted) and
   the whole search view (``blog.views.search``: the same plus
   loading the posts and rendering the page with its sidebar), through Django's
   RequestFactory, so the page cache and Nginx are not in the figure (search pages
   are never stored; Nginx only passes them on).

The target is the view's 95th percentile under 50 ms for every query kind. Exits 1 if
a query kind misses it, so ``make bench`` can fail on it.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "search"
REPORT = ROOT / "bench" / "SEARCH.md"
TARGET_MS = 50.0
VOCABULARY: list[str] = []  # the seeded words, most frequent first
sys.path.insert(0, str(ROOT))


def configure(database_url: str | None, reuse: bool = False) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    database = WORK / "search.sqlite3"
    if not database_url and reuse:
        database_url = f"sqlite:///{database}"
    if not database_url:
        database.unlink(missing_ok=True)
        database_url = f"sqlite:///{database}"
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "site_project.settings", "SECRET_KEY": "bench-only-not-secret",
        "DATABASE_URL": database_url, "MEDIA_ROOT": tempfile.mkdtemp(prefix="bench-media-"),
        "ALLOWED_HOSTS": "testserver",
    })
    import django

    django.setup()
    return database_url


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Faker's English words first (real stems for the stemmer), then made-up ones."""
    from faker import Faker

    words = sorted({word for word in Faker("en_US").get_words_list() if word.isalpha() and len(word) > 2})
    rng.shuffle(words)
    seen = set(words)
    while len(words) < size:
        # Made-up words beyond Faker's list, so the rare end of the Zipf curve is really rare.
        word = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words[:size]


def seed(posts: int, rng: random.Random) -> float:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from blog.models import Category, Post, Tag
    from cachekeys.tracking import tracker

    words = vocabulary(4000, rng)
    VOCABULARY[:] = words
    weights = [1 / (rank + 1) for rank in range(len(words))]

    def text(count: int) -> str:
        return " ".join(rng.choices(words, weights, k=count))

    started = time.perf_counter()
    now = timezone.now()
    with tracker.paused():  # no page cache to purge here
        author = get_user_model().objects.create_user("bench", password="unused-bench-password")
        categories = [Category.objects.create(name=f"{w.title()} section", slug=f"sec-{w}") for w in words[100:112]]
        tags = [Tag.objects.create(name=w.title(), slug=f"tag-{w}") for w in words[200:240]]
        batch = []
        for number in range(posts):
            paragraphs = "".join(f"<p>{text(rng.randint(30, 60))}.</p>" for _ in range(4))
            batch.append(Post(
                title=text(rng.randint(3, 8)).capitalize(), slug=f"post-{number}", body=paragraphs,
                body_html=paragraphs, excerpt=text(25), status=Post.Status.PUBLISHED,
                published_at=now - timezone.timedelta(minutes=number), author=author,
                category=rng.choice(categories),
            ))
            if len(batch) == 1000:
                Post.objects.bulk_create(batch)
                batch = []
        Post.objects.bulk_create(batch)
        through = Post.tags.through
        links = [through(post_id=pk, tag_id=tag.pk) for pk in Post.objects.values_list("pk", flat=True)
                 for tag in rng.sample(tags, 3)]
        through.objects.bulk_create(links, batch_size=2000)
    return time.perf_counter() - started


def queries(words: list[str]) -> dict[str, tuple[str, int]]:
    """Query kinds: (the query, the page number)."""
    return {
        "most common word": (words[0], 1),
        "common word, page 5": (words[1], 5),
        "two common words": (f"{words[2]} {words[3]}", 1),
        "mid-frequency word": (words[300], 1),
        "rare word": (words[3500], 1),
        "three words": (f"{words[5]} {words[40]} {words[400]}", 1),
        "prefix of a word": (words[7][:3], 1),
        "no match": ("zzqxj", 1),
    }


def measure(repeat: int) -> list[dict]:
    from django.test import RequestFactory

    from blog import search, views

    factory = RequestFactory()
    sample = VOCABULARY
    rows = []
    for label, (query, page) in queries(sample).items():
        words = search.terms(query)
        engine, view, total, more = [], [], 0, False
        # One untimed request first: the first of a process compiles the templates (~0.5 s),
        # which a running server did long ago.
        views.search(factory.get("/search/", {"q": query}, HTTP_X_CACHE_FRAGMENTS="ssi"))
        for _ in range(repeat):
            started = time.perf_counter()
            results = search.search(words, (page - 1) * views.POSTS_PER_PAGE, views.POSTS_PER_PAGE)
            engine.append((time.perf_counter() - started) * 1000)
            total, more = results.total, results.more
            # As Nginx sends it: the sidebar and footer are included fragments, served from
            # the cache, not rendered with every search.
            request = factory.get("/search/", {"q": query, **({"page": page} if page > 1 else {})},
                                  HTTP_X_CACHE_FRAGMENTS="ssi")
            started = time.perf_counter()
            response = views.search(request)
            view.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        rows.append({"label": label, "query": query, "page": page, "total": total, "more": more,
                     "engine": percentiles(engine), "view": percentiles(view)})
    return rows


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": statistics.median(ordered), "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)],
            "max": ordered[-1]}


HEADER = """# Search benchmark

Produced by `bench/search.py`, one section per database engine (a run replaces its own
engine's section and keeps the other): `bench/search.py` seeds 30,000 posts in minutes,
`--reuse` measures the same database again in about one; `--database-url` names a
PostgreSQL database (`tests/postgres.sh start` makes a private server).

## Method

- 30,000 published posts (4 paragraphs of 30-60 words, words drawn by a Zipf law from
  4,000, so the most common words are in every post), 3 tags each, 12 categories.
- *engine*: `blog.search.search`: the newest matches, at most `blog.search.MAX_RESULTS`
  (1,000), counted and ranked, the page of 10 highlighted. *view*: `blog.views.search` as
  Nginx asks for it (the same, the posts loaded, the page rendered with the sidebar and
  footer as included fragments, which Nginx serves from the cache), through
  RequestFactory, after one untimed request. Times in ms over the repeats; the load average is the machine's
  (2 CPUs, shared with other work), before and after the run. On a shared machine the
  figures vary threefold between runs minutes apart: compare runs at similar load.

## What keeps it fast

- A search counts and ranks only the newest 1,000 matches (`MAX_RESULTS`; the page says
  "More than 1,000 stories found"), so a word in every post costs what 1,000 cost.
- SQLite: FTS5 walks its doclists by rowid to find the 1,001st newest match (no ranking),
  ranks with `bm25()` bounded by that rowid, keeps prefix lists (`prefix = '2 3 4 5 6'`)
  for the last word's prefix match, and highlights only the page's ten.
- PostgreSQL: the stored, weighted `tsvector` and the post's era (its id / 1,000) share
  one GIN index (btree_gin), and a search looks among the newest 4 eras first
  (`blog.search.first_floor`): a word most posts hold finds its 1,001 newest matches
  there, and the index hands over ~3,000 rows instead of 30,000. A rarer word widens the
  window as far as the matches found say it must (`wider_floor`), so a search reads about
  the 1,001 rows it needs, whatever the word. The rows are kept to ~150 bytes
  (`toast_tuple_target`: the tsvector and texts live in TOAST), only ids are read and
  sorted, the planner is held to bitmap scans (it otherwise picks a sequential scan or a
  walk of the primary key, decompressing every post's tsvector), and only the 1,000 kept
  are ranked, with `ts_rank` (`ts_rank_cd` weighs how near the words are and cost three
  times as much per document), the page's ten highlighted in the same query.
- PostgreSQL before the eras (1 December, 22:55 UTC, load 1.1): engine p50 26-35 ms for
  common words, worst view p95 61.6 ms; `EXPLAIN ANALYZE` put a word in every post at the
  GIN bitmap (6 ms), the 30,000 rows it named (9 ms), their sort (7 ms) and the ranking
  with `ts_rank_cd` (8 ms). The first window now takes that word's ids in ~4 ms.
- PostgreSQL with the eras, runs of 2 December 01:00-01:26 UTC (load 0.2-1.3): worst view
  p95 47.8, 45.1, 49.4 and 45.4 ms; the worst query is always one whose 1,001 newest
  matches are spread over most of the site (three words, a mid-frequency word), where
  ranking 1,000 documents read from TOAST costs ~10 ms and the page's headlines ~3 ms.
  Tried, not kept (alternated A/B runs in one process): the documents kept in the rows
  instead of TOAST (the ranking 3 ms faster, the windows as much slower); one statement
  per window instead of the ids sent back (the same); ranking only 500 would save ~25%,
  but shows half the results.
- The results page is one search (the count and the page come from the same query); the
  last page and an empty result ran it twice before (1 December: worst view p95 on SQLite
  53.4 → 26.7 ms, on PostgreSQL 80.7 → 61.6 ms).
- Before (the code this replaced, 30,000 posts): PostgreSQL engine p50 209 ms for the
  most common word and 487 ms for a mid-frequency one, view p95 up to 639 ms (load 3.4);
  SQLite engine p50 27-56 ms for common words, view p95 up to 113 ms (load 4.2).
"""


def section(rows: list[dict], posts: int, seeded: float, indexed: float, load_before: float) -> tuple[str, str]:
    """This engine's results: (its name, its Markdown section)."""
    from django.db import connection

    vendor = connection.vendor
    version = connection.cursor().connection.execute("select sqlite_version()").fetchone()[0] \
        if vendor == "sqlite" else connection.cursor().connection.info.server_version
    lines = [
        f"## Results: {vendor}", "",
        f"- {vendor} {version}, Python {platform.python_version()}, {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}); 1-minute load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"- {posts:,} posts; " + (f"seeded in {seeded:.1f} s, indexed by `blog.search.rebuild` in "
                                  f"{indexed:.1f} s." if seeded else "the database a previous run seeded and "
                                                                       "indexed (`--reuse`)."), "",
        "| query | matches | engine p50 | engine p95 | view p50 | view p95 | view max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        e, v = row["engine"], row["view"]
        page = f", page {row['page']}" if row["page"] > 1 else ""
        matches = f"more than {row['total']:,}" if row.get("more") else f"{row['total']:,}"
        lines.append(f"| {row['label']} (`{row['query']}`{page}) | {matches} | {e['p50']:.1f} | "
                     f"{e['p95']:.1f} | {v['p50']:.1f} | {v['p95']:.1f} | {v['max']:.1f} |")
    worst = max(row["view"]["p95"] for row in rows)
    verdict = "meets" if worst < TARGET_MS else "misses"
    lines += ["", f"Worst view p95: **{worst:.1f} ms**, which {verdict} the {TARGET_MS:.0f} ms target.", ""]
    return vendor, "\n".join(lines)


def merged(previous: str, vendor: str, text: str) -> str:
    """The report with this engine's section replaced (or added), the other engine's kept."""
    sections = dict(re.findall(r"<!-- results:(\w+) -->\n(.*?)<!-- /results -->\n", previous, re.S))
    sections[vendor] = text
    return HEADER + "".join(f"\n<!-- results:{name} -->\n{sections[name]}<!-- /results -->\n"
                            for name in sorted(sections))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--no-report", action="store_true", help="print only, leave bench/SEARCH.md alone")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database a previous run left in bench/work/search (no seeding)")
    options = parser.parse_args()
    database_url = configure(options.database_url, options.reuse)

    from django.core.management import call_command

    from blog import search

    from blog.models import Post

    call_command("migrate", verbosity=0)
    rng = random.Random(42)
    if options.reuse and Post.objects.exists():
        VOCABULARY[:] = vocabulary(4000, rng)  # the same words, drawn the same way
        seeded = indexed = 0.0
        options.posts = Post.objects.count()
    else:
        seeded = seed(options.posts, rng)
        started = time.perf_counter()
        search.rebuild()
        indexed = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    rows = measure(options.repeat)
    vendor, text = section(rows, options.posts, seeded, indexed, load_before)
    print(text)
    if not options.no_report:
        REPORT.write_text(merged(REPORT.read_text() if REPORT.exists() else "", vendor, text))
    return 0 if max(row["view"]["p95"] for row in rows) < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
