"""The benchmark's steps, once Django is set up (bench/run.py sets the environment first)."""
from __future__ import annotations

import contextlib
import io
import os
import platform
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command

from bench import day as day_scenario
from bench.content import grow_site, site_pages
from bench.scenarios import SaveToFresh, Stampede, StoredSize, save_to_fresh, stampede, stored_sizes
from bench.servers import AppServer, Front, Ports, StaticNginx, Varnish, version
from bench.zipf import SizeResult, run_size
from blog.models import Post
from cachekeys.conf import get_config
from cachekeys.purge import purge_all
from cachekeys.testing import Memcached
from cachekeys.warm import Client as WarmClient
from cachekeys.warm import Page, sitemap_pages

SMALL_POSTS, LARGE_POSTS = 300, 30_000
MEMCACHED_MB = 1024  # deploy/README.md's memcached.conf
# Requests in each size's Zipf sequence: every page of the small site; at 30,000 posts about
# 3,300 distinct pages, as many as can be rendered for the warm-up in a few minutes.
SMALL_SEQUENCE, LARGE_SEQUENCE = 20_000, 8_000
# The warm-up renders every page of the sequence; on a busy machine the large site's cannot
# all be rendered in time, and its least popular pages are left out (RESULTS.md says so).
SMALL_WARM_SECONDS, LARGE_WARM_SECONDS = 300, 200


@dataclass
class Results:
    versions: dict[str, str]
    fronts: list[str]  # labels of our Nginx configurations measured
    same_config: bool  # make run and the deploy recipe rendered the same Nginx site
    stampedes: list[Stampede]
    save: SaveToFresh
    stored: StoredSize
    warm_output: str
    warm_seconds: float
    sizes: list[SizeResult]
    day: day_scenario.Day | None
    rounds: int
    seconds: int
    total_seconds: float = 0.0
    grow_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def start(running: contextlib.ExitStack, server):
    running.callback(server.stop)  # first: a server that fails to start may have a process
    server.start()
    return server


def versions() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {
        "machine": f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}",
        "nginx": version(["nginx", "-v"], "nginx version"),
        "Lua module": version(["dpkg-query", "-W", "libnginx-mod-http-lua"]),
        "varnish": version(["varnishd", "-V"], "varnish-"),
        "memcached": version(["memcached", "-V"]),
        "wrk": version(["wrk", "-v"], "wrk"),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "gunicorn": version([sys.executable, "-m", "gunicorn", "--version"]),
    }


def tier_budget() -> tuple[float | None, bool]:
    """The first tier's memory budget in MB, and whether the workers share it (one shared
    dictionary per Nginx) rather than each keeping its own."""
    from cachekeys import nginx

    if hasattr(nginx, "tier_megabytes"):  # shared memory, sized from the worker count
        return float(nginx.tier_megabytes(get_config(), "auto")), True
    return _config_number("nginx_first_tier_mb", "first_tier_mb"), False


def tier_ttl() -> float | None:
    """How long the first tier keeps a page, if this version bounds it by time."""
    return _config_number("nginx_first_tier_ttl", "first_tier_ttl")


def _config_number(*names: str) -> float | None:
    config = get_config()
    for name in names:
        if (value := getattr(config, name, None)) is not None:
            return float(value)
    return None


def warm_after_purge(base_url: str) -> tuple[str, float, list[str]]:
    """purge_all(), then cache_warm; its report, its time and the URIs it warmed."""
    purge_all()
    out = io.StringIO()
    began = time.perf_counter()
    call_command("cache_warm", base_url=base_url, concurrency=4, stdout=out)
    seconds = time.perf_counter() - began
    host = base_url.split("//", 1)[1]
    with WarmClient(base_url, 30) as client:
        uris = ["/"] + [page.uri for page in sitemap_pages(client, Page(host, "/sitemap.xml"))]
    return out.getvalue(), seconds, list(dict.fromkeys(uris))


def cold_posts(count: int) -> list[Post]:
    """Posts no one has asked for yet."""
    return list(Post.objects.public().order_by("pk")[:count])


@dataclass
class Site:
    memcached: Memcached
    app: AppServer
    fronts: list[Front]
    same_config: bool

    @property
    def memcached_pids(self) -> set[int]:
        return {self.memcached.process.pid}


def start_site(ports: Ports, env: dict[str, str], run_dir: Path, running: contextlib.ExitStack,
               step: Callable[[str], None]) -> Site:
    step(f"database: migrate, seed_demo --posts {SMALL_POSTS}, collectstatic")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", posts=SMALL_POSTS, stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)
    step(f"memcached (-m {MEMCACHED_MB}), gunicorn, our Nginx as `make run` and deploy/README.md render it")
    memcached = start(running, Memcached(port=ports.memcached, memory_mb=MEMCACHED_MB))
    app = start(running, AppServer(ports.app, run_dir / "app.log"))
    servers = [memcached.address]
    make_run = start(running, Front.make_run(app.address, servers[0], env, ports.front))
    recipe = Front.recipe(app.address, servers[0], env)
    recipe.config = recipe.render()
    same = recipe.site_config() in make_run.site_config()
    fronts = [make_run]
    if not same:
        fronts.append(start(running, recipe))
    return Site(memcached, app, fronts, same)


def run(ports: Ports, env: dict[str, str], run_dir: Path, running: contextlib.ExitStack, rounds: int, seconds: int,
        day_seconds: int, large: bool, step: Callable[[str], None]) -> Results:
    site = start_site(ports, env, run_dir, running, step)
    varnish = start(running, Varnish(site.app.address, run_dir))
    front = site.fronts[0]

    step("32 readers at once on a cold page: ours, then Varnish; an editor's save until the fresh page shows")
    cold = cold_posts(3)
    stampedes = [stampede("ours", front.base_url, cold[0].get_absolute_url(), site.app.log),
                 stampede("Varnish", varnish.base_url, cold[1].get_absolute_url(), site.app.log)]
    save = save_to_fresh(front.base_url, cold[2])
    step("purge_all(), then cache_warm")
    warm_output, warm_seconds, warmed = warm_after_purge(front.base_url)
    stored = stored_sizes(front.base_url, warmed)

    sizes = []
    pages = site_pages()
    static = start(running, StaticNginx())
    sizes.append(run_size(f"{SMALL_POSTS} posts", SMALL_POSTS, pages, site.fronts, varnish, static,
                          [site.memcached.address], site.memcached_pids, run_dir, rounds, seconds, tier_budget(),
                          tier_ttl(), SMALL_SEQUENCE, SMALL_WARM_SECONDS, step))
    static.stop()
    shutil.rmtree(static.run_dir, True)

    day, notes = None, []
    if day_seconds:
        with _reported("the day scenario", notes, step):
            day = day_scenario.run(front, varnish, site.app, run_dir, day_seconds, step)
    varnish.stop()

    grow_seconds = 0.0
    with _reported(f"the {LARGE_POSTS:,}-post site", notes, step):
        if large:
            grow_seconds = _large(site, ports, run_dir, running, rounds, seconds, sizes, step)
    return Results(versions(), [f.label for f in site.fronts], site.same_config, stampedes, save, stored,
                   warm_output, warm_seconds, sizes, day, rounds, seconds, grow_seconds=grow_seconds, notes=notes)


@contextlib.contextmanager
def _reported(what: str, notes: list[str], step: Callable[[str], None]):
    """A step that fails is reported in RESULTS.md; what was measured before it is kept."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - written down, the run goes on
        traceback.print_exc()
        step(f"{what} failed: {error!r}")
        notes.append(f"**{what[0].upper()}{what[1:]} failed** ({error!r}); its figures are missing.")


def _large(site: Site, ports: Ports, run_dir: Path, running: contextlib.ExitStack, rounds: int, seconds: int,
           sizes: list[SizeResult], step: Callable[[str], None]) -> float:
    """Grow the site, restart gunicorn for its warm-up, and measure the Zipf readers again."""
    step(f"growing the site to {LARGE_POSTS:,} posts (bulk_create, one purge_all)")
    began = time.perf_counter()
    grow_site(LARGE_POSTS)
    pages = site_pages()
    grow_seconds = time.perf_counter() - began
    step(f"{len(pages):,} pages; gunicorn again, with the sidebar's two site-wide queries memoized for the warm-up")
    site.app.stop()
    site.app = start(running, AppServer(ports.app, run_dir / "app-large.log", wsgi="bench.memo_wsgi:application",
                                        workers=4))
    # Varnish fills from our Nginx (the bytes Django rendered and memcached holds): 400 ms a
    # render at this size would make its warm-up alone longer than the whole benchmark.
    large_varnish = start(running, Varnish(f"127.0.0.1:{site.fronts[-1].port}", run_dir))
    static = start(running, StaticNginx())
    sizes.append(run_size(f"{LARGE_POSTS:,} posts", LARGE_POSTS, pages, site.fronts, large_varnish, static,
                          [site.memcached.address], site.memcached_pids, run_dir, rounds, seconds, tier_budget(),
                          tier_ttl(), LARGE_SEQUENCE, LARGE_WARM_SECONDS, step))
    shutil.rmtree(static.run_dir, True)
    return grow_seconds


def settings_lines() -> dict[str, str]:
    config = get_config()
    budget, shared = tier_budget()
    return {
        "first tier": f"`NGINX_FIRST_TIER` {getattr(config, 'nginx_first_tier', '?')} in `make run`'s environment; "
                      f"budget {budget or '-'} MB {'per Nginx (shared memory)' if shared else 'per worker'}, "
                      f"TTL {tier_ttl() or '-'} s",
        "memcached": f"one node, `-m {MEMCACHED_MB}`",
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }

