"""`make bench`: this project's cache hits against a static file, Varnish and Django's cache.

    .venv/bin/python bench/run.py [--rounds 5] [--seconds 5]

Everything runs on free loopback ports of this machine and is stopped at the end:

1. A fresh SQLite database (migrated, ``seed_demo``) and one long read of about 40 KB,
   the page every contender serves.
2. memcached and the project's Nginx with its first tier (``bench/app_settings.py``),
   gunicorn behind it; the same Nginx template without the first tier (memcached_pass
   alone); Varnish in front of the same gunicorn; a plain Nginx serving the page as a
   file; Django's per-site cache under its own gunicorn (``bench/sitecache_settings.py``).
3. 32 readers at once on a cold page (ours, Varnish); an editor's save timed until the
   fresh page shows; ``purge_all()`` then ``cache_warm``, and the stored/raw byte ratio.
4. wrk on each contender, rounds alternated; server CPU from /proc.
5. bench/RESULTS.md and bench/results.png.

Needs wrk, varnish, nginx with its Lua module and memcached (the Makefile's ``bench``
target installs them, and matplotlib from bench/requirements.txt).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import OURS, OURS_GZIP, STATIC, VARNISH, VARNISH_GZIP, Contender, chart, markdown  # noqa: E402
from cachekeys.testing import world_readable_dir  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
CHART = ROOT / "bench" / "results.png"
TOOLS = ("wrk", "varnishd", "nginx", "memcached")

CONTENDERS = [
    Contender(STATIC, "Nginx, static file", "the page's bytes as a file served by a plain Nginx server "
              "block (sendfile, same workers and buffered access log as ours): the upper bound."),
    Contender(OURS, "ours: Nginx first tier", "this project's Nginx (the `nginx_config --standalone` "
              "template) with `NGINX_FIRST_TIER` on: each worker answers from its own memory."),
    Contender(OURS_GZIP, "ours: first tier, gzip", "the same, the client sending `Accept-Encoding: gzip` "
              "(served the stored gzip bytes)."),
    Contender("memcached", "ours: memcached_pass only", "the same template with the first tier off: "
              "every hit a memcached get over an upstream keepalive connection, a 64k buffer, gunzip."),
    Contender("memcached-gzip", "ours: memcached_pass, gzip", "the same, the client accepting gzip."),
    Contender(VARNISH, "Varnish hit", "varnishd with its default VCL, `-b` the same gunicorn, "
              "`-s malloc,64m`, `-t 600`: what users of a page cache would otherwise pick."),
    Contender(VARNISH_GZIP, "Varnish hit, gzip", "the same, the client accepting gzip (stock Varnish "
              "keeps what the backend sent: Django does not compress, so it answers plain)."),
    Contender("sitecache", "Django per-site cache", "Django's `UpdateCacheMiddleware`/"
              "`FetchFromCacheMiddleware` with PyMemcacheCache, gunicorn 2 sync workers, no Nginx."),
    Contender("uncached", "uncached render", "the same gunicorn as behind our Nginx, asked directly "
              "(no key from Nginx, so rendered every time and never stored)."),
]


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds over all contenders (default 5)")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per run (default 5)")
    args = parser.parse_args()
    if args.rounds < 2 or args.seconds < 1:
        parser.error("at least 2 rounds of at least 1 second")
    return args


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        sys.exit(f"bench: {', '.join(missing)} not installed; `make bench` installs them "
                 "(deploy/install-packages.sh wrk varnish).")


def configure(run_dir: Path, stack) -> None:
    """The environment the bench process and its app servers read their settings from."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.app_settings",
        "DATABASE_URL": f"sqlite:///{run_dir}/db.sqlite3",
        "SECRET_KEY": "bench-only-not-secret",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEMCACHED_SERVERS": ",".join(stack.memcached_servers),
        "STATIC_ROOT": str(stack.static_root),
        "BENCH_PURGE_URL": f"{stack.base_url}/_cachekeys/purge",
    })


def main() -> None:
    args = parse_args()
    require_tools()
    began = time.monotonic()
    load_before = os.getloadavg()
    run_dir = world_readable_dir("bench-run-")
    from cachekeys.testing import Stack

    stack = Stack()
    stack.nginx.workers = "auto"
    configure(run_dir, stack)
    import django

    django.setup()
    from bench import flow

    with contextlib.ExitStack() as running:
        running.callback(shutil.rmtree, run_dir, True)
        results = flow.run(stack, run_dir, running, CONTENDERS, args.rounds, args.seconds, step)
    results.total_seconds = time.monotonic() - began
    load_after = os.getloadavg()
    results.notes.append(f"The machine is shared: load average {load_before[0]:.1f} when the run began, "
                         f"{load_after[0]:.1f} when it ended ({os.cpu_count()} CPUs). Ratios within the run "
                         "are what to compare.")
    RESULTS.write_text(markdown(results, args.rounds, args.seconds, CHART.name))
    chart(results, CHART)
    step(f"wrote {RESULTS.relative_to(ROOT)} and {CHART.relative_to(ROOT)} in {results.total_seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
