"""`make bench`: this project's cache as a new user deploys it, against Varnish and static files.

    .venv/bin/python bench/run.py [--rounds 3] [--seconds 4] [--day-seconds 30] [--small-only] [--no-search]

Everything runs on free loopback ports of this machine and is stopped at the end:

1. A fresh SQLite database (migrated, ``seed_demo --posts 300``); memcached, gunicorn and the
   project's Nginx exactly as ``make run`` renders it (its environment read from the
   Makefile) and as deploy/README.md's one-box recipe renders it (measured apart only when
   the two configurations differ); Varnish with a competent operator's VCL (bench/varnish.vcl).
2. 32 readers at once on a cold page (ours, Varnish); an editor's save timed until the
   fresh page shows; ``purge_all()`` then ``cache_warm``, and the stored/raw byte ratio.
3. Zipf-distributed readers (s = 1) over every page of the 300-post site, browsers
   (``Accept-Encoding: gzip, deflate, br``) and plain clients, wrk ``-t2 -c32``, contenders
   alternated round after round, server CPU from /proc, memcached gets, Nginx workers' RSS.
4. A magazine's day on that site: readers, a share spike with tracking parameters, bot
   probes, a publish every 3 s; requests that reached Django, renders per publish, p99; the
   same through Varnish.
5. The site grown to 30,000 posts (about 50,000 pages) and step 3 again.
6. bench/search.py (search on 30,000 posts, its own database and bench/SEARCH.md), if present.
7. bench/RESULTS.md and bench/results.png.

Needs wrk, varnish, nginx with its Lua module and memcached (the Makefile's ``bench``
target installs them, and matplotlib from bench/requirements.txt).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import Ports, make_run_env  # noqa: E402
from cachekeys.testing import free_port, world_readable_dir  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
SEARCH = ROOT / "bench" / "search.py"  # the search benchmark (bench/SEARCH.md), run after ours if present
CHART = ROOT / "bench" / "results.png"
TOOLS = ("wrk", "varnishd", "nginx", "memcached")


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all contenders (default 3)")
    parser.add_argument("--seconds", type=int, default=4, help="wrk duration per run (default 4)")
    parser.add_argument("--day-seconds", type=int, default=30,
                        help="length of the day scenario per contender (default 30; 0 skips it)")
    parser.add_argument("--small-only", action="store_true", help="skip the 30,000-post site")
    parser.add_argument("--no-search", action="store_true", help="skip bench/search.py (it takes minutes on a busy machine)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the results (default bench/RESULTS.md)")
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds < 1 or args.day_seconds < 0:
        parser.error("at least 1 round of at least 1 second")
    return args


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        sys.exit(f"bench: {', '.join(missing)} not installed; `make bench` installs them "
                 "(deploy/install-packages.sh wrk varnish).")


def configure(run_dir: Path):
    """The environment of a fresh ``make run`` (ports of our own), for this process and the app servers."""
    ports = Ports(front=free_port(), app=free_port(), memcached=free_port())
    env = make_run_env(f"127.0.0.1:{ports.front}", f"127.0.0.1:{ports.app}", ports.memcached, run_dir)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "site_project.settings",
        "DATABASE_URL": f"sqlite:///{run_dir}/db.sqlite3",
        "SECRET_KEY": "bench-only-not-secret",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(run_dir / "static"),
        **env,
    })
    return ports, env


def search_benchmark(timeout: int = 420) -> str:
    """Run bench/search.py in its own process (its own database); one line for RESULTS.md."""
    try:
        done = subprocess.run([sys.executable, str(SEARCH)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"Search (bench/search.py): did not finish in {timeout} s."
    verdict = "**met**" if done.returncode == 0 else f"**not met** (exit {done.returncode})"
    return f"Search on 30,000 posts under 50 ms (bench/search.py): {verdict}; figures in [SEARCH.md](SEARCH.md)."


def main() -> None:
    args = parse_args()
    # A stopped run (SIGTERM, Ctrl-C) still stops every server it started (the ExitStack).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    require_tools()
    began = time.monotonic()
    load_before = os.getloadavg()
    run_dir = world_readable_dir("bench-run-")
    ports, env = configure(run_dir)
    import django

    django.setup()
    from bench import flow
    from bench.report import chart, markdown

    with contextlib.ExitStack() as running:
        running.callback(shutil.rmtree, run_dir, True)
        results = flow.run(ports, env, run_dir, running, args.rounds, args.seconds, args.day_seconds,
                           not args.small_only, step)
    if SEARCH.exists() and not args.no_search:
        step("search on 30,000 posts: bench/search.py (writes bench/SEARCH.md)")
        results.notes.append(search_benchmark())
    elif SEARCH.exists():
        results.notes.append("Search on 30,000 posts (bench/search.py) was not run this time (--no-search): "
                             "its last figures are in [SEARCH.md](SEARCH.md).")
    results.total_seconds = time.monotonic() - began
    load_after = os.getloadavg()
    results.notes.append(f"The machine is shared: load average {load_before[0]:.1f} when the run began, "
                         f"{load_after[0]:.1f} when it ended ({os.cpu_count()} CPUs). Ratios within the run "
                         "are what to compare.")
    args.output.write_text(markdown(results, flow.settings_lines(), CHART.name))
    chart(results, args.output.with_name(CHART.name))
    step(f"wrote {args.output} and its chart in {results.total_seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
