"""The benchmark's steps, once Django is set up (bench/run.py sets the environment first)."""
from __future__ import annotations

import contextlib
import io
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import django
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from tqdm import tqdm

from bench.measure import WrkResult, process_tree, run_wrk
from bench.report import OURS, STATIC, VARNISH, Contender, Results, summarize
from bench.scenarios import save_to_fresh, stampede, stored_sizes
from bench.servers import StaticNginx, Varnish, version
from blog.models import Post
from cachekeys.purge import purge_all
from cachekeys.testing import Gunicorn, Nginx, Stack, world_readable_dir
from cachekeys.warm import Client as WarmClient
from cachekeys.warm import Page, sitemap_pages
from tests.http import fetch

GZIP = {"Accept-Encoding": "gzip"}
TARGET_PAGE_BYTES = 40 * 1024
WARMUP_SECONDS = 1


def long_read(target: int = TARGET_PAGE_BYTES) -> Post:
    """The newest post, lengthened with other posts' bodies until its page is ~``target`` bytes."""
    posts = list(Post.objects.public().order_by("-published_at"))
    post = posts[0]
    size = len(Client(HTTP_HOST="127.0.0.1").get(post.get_absolute_url()).content)
    extra = []
    for other in posts[1:]:
        if size + sum(map(len, extra)) >= target:
            break
        extra.append(other.body)
    post.body += "".join(extra)
    post.save()
    return post


def cold_posts(exclude: Post, count: int) -> list[Post]:
    """Posts no one has asked for yet (the long read's neighbours are not among them)."""
    return list(Post.objects.public().exclude(pk=exclude.pk).order_by("pk")[:count])


Server = TypeVar("Server", Stack, Nginx, Gunicorn, Varnish, StaticNginx)


def start(running: contextlib.ExitStack, server: Server) -> Server:
    running.callback(server.stop)  # first: a server that fails to start may have a process
    server.start()
    return server


def memcached_only_nginx(running: contextlib.ExitStack, app: Gunicorn, stack: Stack) -> Nginx:
    """The same template with the first tier off, in front of the same memcached and app."""
    nginx = Nginx([app.address], stack.memcached_servers, world_readable_dir("bench-memcached-"), workers="auto")
    running.callback(shutil.rmtree, nginx.run_dir, True)
    with override_settings(CACHEKEYS={**settings.CACHEKEYS, "NGINX_FIRST_TIER": False}):
        return start(running, nginx)


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


def targets_of(contenders: list[Contender], urls: dict[str, str], pids: dict[str, Callable[[], set[int]]]):
    for contender in contenders:
        key = contender.key
        base = key.removesuffix("-gzip")
        yield contender, urls[base], pids[base], GZIP if key.endswith("-gzip") else None


def prime(urls: dict[str, str], notes: list[str]) -> None:
    """Ask each contender twice, so the measured runs are hits; check they are."""
    for name, url in urls.items():
        parts = urlsplit(url)
        for headers in (None, GZIP, None):
            page = fetch(f"{parts.scheme}://{parts.netloc}", parts.path, headers=headers)
            if page.status != 200:
                raise RuntimeError(f"{name} answered {page.status} for {url}")
        if name in (OURS, "memcached") and page.header("X-Cache") != "HIT":
            raise RuntimeError(f"{name} is not serving hits: X-Cache {page.header('X-Cache')}")
        if name == VARNISH and len((page.header("X-Varnish") or "").split()) != 2:
            notes.append("Varnish did not report a hit while priming.")
        if name == "sitecache" and not _served_from_django_cache(parts):
            notes.append("Django's per-site cache did not serve the page from its cache while priming.")


def _served_from_django_cache(parts) -> bool:
    """A cached answer repeats the Expires of the render that stored it."""
    first = fetch(f"{parts.scheme}://{parts.netloc}", parts.path).header("Expires")
    time.sleep(1.1)  # Expires has whole seconds
    return first is not None and fetch(f"{parts.scheme}://{parts.netloc}", parts.path).header("Expires") == first


def measure(contenders, urls, pids, rounds: int, seconds: int) -> dict[str, list[WrkResult]]:
    results: dict[str, list[WrkResult]] = {c.key: [] for c in contenders}
    plan = list(targets_of(contenders, urls, pids))
    for contender, url, tree, headers in plan:  # caches, JIT and connection pools warm
        run_wrk(url, tree(), WARMUP_SECONDS, headers=headers)
    with tqdm(total=rounds * len(plan), unit="run", desc="wrk", file=sys.stderr) as bar:
        for round_number in range(rounds):
            for contender, url, tree, headers in plan:
                bar.set_postfix_str(f"round {round_number + 1}: {contender.label}")
                results[contender.key].append(run_wrk(url, tree(), seconds, headers=headers))
                bar.update()
    return results


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


@dataclass
class Servers:
    stack: Stack
    app: Gunicorn
    sitecache: Gunicorn
    varnish: Varnish
    memcached_only: Nginx
    static: StaticNginx | None = None

    def urls(self, uri: str) -> dict[str, str]:
        return {
            STATIC: self.static.url, OURS: self.stack.base_url + uri,
            "memcached": f"http://127.0.0.1:{self.memcached_only.port}{uri}",
            VARNISH: self.varnish.base_url + uri, "sitecache": f"http://{self.sitecache.address}{uri}",
            "uncached": f"http://{self.app.address}{uri}",
        }

    def pids(self) -> dict[str, Callable[[], set[int]]]:
        """Each contender's server processes, listed again before each run."""
        memcached = {node.process.pid for node in self.stack.memcached}
        return {
            STATIC: lambda: process_tree(self.static.process.pid),
            OURS: lambda: process_tree(self.stack.nginx.process.pid) | memcached,
            "memcached": lambda: process_tree(self.memcached_only.process.pid) | memcached,
            VARNISH: lambda: process_tree(self.varnish.process.pid),
            "sitecache": lambda: process_tree(self.sitecache.process.pid) | memcached,
            "uncached": lambda: process_tree(self.app.process.pid),
        }


def start_site(stack: Stack, run_dir: Path, running: contextlib.ExitStack,
               step: Callable[[str], None]) -> tuple[Gunicorn, Post]:
    """memcached, our Nginx, the database with its long read, and the app server."""
    app = Gunicorn(env={}, log=run_dir / "app.log")
    stack.set_app([app.address])  # Nginx's upstream is rendered when it starts
    step("memcached and the project's Nginx (first tier on)")
    start(running, stack)
    step("database: migrate, seed_demo, one long read")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    post = long_read()
    start(running, app)
    return app, post


def start_others(stack: Stack, app: Gunicorn, run_dir: Path, running: contextlib.ExitStack) -> Servers:
    sitecache = Gunicorn(env={"DJANGO_SETTINGS_MODULE": "bench.sitecache_settings"}, log=run_dir / "sitecache.log")
    return Servers(stack, app, start(running, sitecache), start(running, Varnish(app.address, run_dir)),
                   memcached_only_nginx(running, app, stack))


def run(stack: Stack, run_dir: Path, running: contextlib.ExitStack, contenders: list[Contender],
        rounds: int, seconds: int, step: Callable[[str], None]) -> Results:
    app, post = start_site(stack, run_dir, running, step)
    step("Django's per-site cache under its own gunicorn, Varnish, Nginx without the first tier")
    servers = start_others(stack, app, run_dir, running)

    step("32 readers at once on a cold page: ours, then Varnish")
    cold = cold_posts(post, 3)
    stampedes = [stampede(OURS, stack.base_url, cold[0].get_absolute_url(), app.log),
                 stampede(VARNISH, servers.varnish.base_url, cold[1].get_absolute_url(), app.log)]
    step("an editor's save until the fresh page shows")
    save = save_to_fresh(stack.base_url, cold[2])
    step("purge_all(), then cache_warm")
    warm_output, warm_seconds, warmed = warm_after_purge(stack.base_url)

    uri = post.get_absolute_url()
    page, zipped = fetch(stack.base_url, uri), fetch(stack.base_url, uri, headers=GZIP)
    servers.static = start(running, StaticNginx("page.html", page.body))
    step(f"priming every contender on {uri} ({len(page.body):,} bytes)")
    notes: list[str] = []
    prime(servers.urls(uri), notes)
    step(f"wrk: {rounds} rounds of {len(contenders)} runs of {seconds} s")
    measured = measure(contenders, servers.urls(uri), servers.pids(), rounds, seconds)
    return Results(
        contenders=contenders, summaries={key: summarize(runs) for key, runs in measured.items()},
        page_uri=uri, page_bytes=len(page.body), page_gzip_bytes=len(zipped.body), versions=versions(),
        settings=_settings_lines(), stampedes=stampedes, save=save, stored=stored_sizes("127.0.0.1", warmed),
        warm_output=warm_output, warm_seconds=warm_seconds, notes=notes,
    )


def _settings_lines() -> dict[str, str]:
    config = settings.CACHEKEYS
    return {
        "first tier": f"`NGINX_FIRST_TIER_TTL` {config.get('NGINX_FIRST_TIER_TTL', 1.0)} s, purged through "
                      "each Nginx's purge location by every save (bench/app_settings.py)",
        "memcached": "one node, `-m 64`; pages stored gzip level 6 with flag 1; Nginx upstream keepalive 64, "
                     "`memcached_buffer_size 64k`",
    }
