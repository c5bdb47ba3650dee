"""A magazine's day, compressed: readers, a share spike, bots, and an editor publishing.

One request sequence for wrk mixes Zipf-distributed readers over the site's pages, a share
spike (one post's link with fresh ``utm_*`` and ``fbclid`` on every request, from
bench/sequence.lua) and bot probes (WordPress paths, ``/?p=N``, old slugs, junk spellings of
real pages). Meanwhile a post is published every few seconds through the ORM, the way an
editor's save does (its signals purge our cache before the save returns); Varnish is sent
the bans its operator's CMS hook would send (bench/varnish.vcl). What reached Django is
counted in gunicorn's access log.
"""
from __future__ import annotations

import datetime
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from bench.content import site_pages
from bench.measure import WrkResult, process_tree, run_wrk, wait_idle
from bench.servers import AppServer, Front, Varnish
from bench.workload import SHARE, wrk_script, write_sequence, zipf_ranks, zipf_sequence
from blog.models import Post
from tests.http import fetch

READERS, SHARES, PROBES = 0.75, 0.15, 0.10
LENGTH = 20_000
PUBLISH_EVERY = 3.0  # seconds
REQUEST_LINE = re.compile(r'"(?:GET|HEAD) (\S+) HTTP/')
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


@dataclass
class DayResult:
    label: str
    run: WrkResult
    publishes: int
    app_requests: Counter  # reader / share / probe / part -> requests gunicorn answered
    fresh_pages: int  # of ``checked`` reader pages, those showing the last published post
    checked: int
    notes: list[str] = field(default_factory=list)
    top: Counter = field(default_factory=Counter)  # the paths gunicorn answered most

    @property
    def reached_django(self) -> int:
        return sum(self.app_requests.values())

    @property
    def renders_per_publish(self) -> float:
        return self.app_requests["reader"] / max(self.publishes, 1)


def rename_some(count: int = 5) -> list[str]:
    """Give a few posts a new slug (as an editor fixing a title does); their old URLs."""
    old = []
    for post in Post.objects.public().order_by("pk")[:count]:
        old.append(post.get_absolute_url())
        post.slug = f"{post.slug[:150]}-revised"
        post.save()
    return old


def probes(pages: list[str], old_urls: list[str], rng: random.Random) -> list[str]:
    """What bots and stale links ask a site moved from WordPress for, all day long."""
    posts = [uri for uri in pages if uri.startswith("/posts/")]
    found = ["/wp-login.php", "/xmlrpc.php", "/wp-admin/", "/wp-json/wp/v2/users", "/.env", "/wp-config.php.bak",
             "/wp-content/plugins/revslider/temp/update_extract/revslider/", "/administrator/", "/user/login",
             "/?author=1", "/feed/atom/", "/index.php?option=com_users"]
    found += [f"/?p={n}" for n in rng.sample(range(1, 5000), 60)]
    found += old_urls
    for uri in rng.sample(posts, min(40, len(posts))):
        slug = uri.strip("/").split("/")[-1]
        found += [f"/{rng.randint(2012, 2020)}/{rng.randint(1, 12):02d}/{slug}/", uri.replace("/posts/", "/p%6fsts/"),
                  f"{uri}?page=2", f"{uri}#comments"]
    found += ["/?page=2&page=2", "/?page=zzz&page=2", "/?page=0", "/?page=99999", "/#x", "/archive/02026/11/",
              "/tag/nothing-here/", "/category/no-such-section/", "/?s=casino", "/?replytocom=12"]
    return found


def day_sequence(pages: list[str], share_uri: str, probe_uris: list[str], seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    readers = iter(zipf_sequence(zipf_ranks([u for u in pages if not u.endswith("sitemap.xml")]), LENGTH, seed=seed))
    sequence = []
    for _ in range(LENGTH):
        draw = rng.random()
        if draw < READERS:
            sequence.append(next(readers))
        elif draw < READERS + SHARES:
            sequence.append(SHARE + share_uri)
        else:
            sequence.append(rng.choice(probe_uris))
    return sequence


class Publisher(threading.Thread):
    """A new post every ``every`` seconds, through the ORM; bans sent to ``varnish`` too."""

    def __init__(self, varnish: Varnish, every: float = PUBLISH_EVERY) -> None:
        super().__init__(daemon=True)
        self.varnish, self.every = varnish, every
        self.done = threading.Event()
        self.published: list[Post] = []
        self.failures: list[str] = []
        self.template = Post.objects.public().order_by("-published_at").first()

    def run(self) -> None:
        while not self.done.wait(self.every):
            try:
                self.published.append(self.publish())
            except Exception as error:  # noqa: BLE001 - reported in RESULTS.md, the run goes on
                self.failures.append(repr(error))

    def publish(self) -> Post:
        number = Post.objects.count() + 1
        post = Post.objects.create(
            title=f"Day desk {number} breaking story", slug=f"day-desk-{number}-breaking-story",
            body=self.template.body, status=Post.Status.PUBLISHED,
            published_at=timezone.now() - datetime.timedelta(seconds=1),
            author_id=self.template.author_id, category_id=self.template.category_id,
        )
        post.tags.set(self.template.tags.all())
        self.varnish.ban(ban_regex(post))
        return post

    def stop(self) -> None:
        self.done.set()
        self.join(30)


def ban_regex(post: Post) -> str:
    """What a CMS hook bans on publish (as WordPress's Varnish purge plugins do): the post,
    the home page and its pages, the lists it joins, the feed and the sitemap."""
    lists = [re.escape(post.get_absolute_url())]
    if post.category:
        lists += [re.escape(c.get_absolute_url()) for c in [*post.category.ancestors(), post.category]]
    lists += [re.escape(tag.get_absolute_url()) for tag in post.tags.all()]
    lists += [f"/author/{re.escape(post.author.get_username())}/", f"/archive/{post.published_at:%Y}/{post.published_at.month}/",
              "/feed/", "/sitemap\\.xml"]
    return "^(/(\\?|$)|(" + "|".join(lists) + "))"


def classify(uri: str, pages: set[str]) -> str:
    if "fbclid=" in uri or "utm_" in uri:
        return "share"
    if uri.startswith("/_fragments/"):
        return "part"  # a page's shared part (cachekeys.fragments), asked for by Nginx
    return "reader" if uri in pages else "probe"


def app_log_uris(log: Path, offset: int) -> list[str]:
    with open(log, "rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode("utf-8", "replace").splitlines()
    return [m.group(1) for line in lines if (m := REQUEST_LINE.search(line))]


def app_requests(uris: list[str], pages: set[str]) -> Counter:
    return Counter(classify(uri, pages) for uri in uris)


def most_requested(uris: list[str]) -> Counter:
    """The paths gunicorn answered, tracking parameters' values folded into one."""
    return Counter(re.sub(r"(fbclid|utm_\w+)=[^&]*", r"\1=…", uri) for uri in uris)


def warm(base_url: str, uris: list[str], twice: bool) -> None:
    def read(uri: str) -> None:
        fetch(base_url, uri, headers=BROWSER, timeout=120)
        if twice:
            fetch(base_url, uri, headers=BROWSER, timeout=120)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(read, uris))


def fresh_share(base_url: str, uris: list[str], title: str) -> int:
    """How many of ``uris`` show ``title`` (the sidebar's latest posts are on every page)."""
    return sum(title in fetch(base_url, uri, headers=BROWSER, timeout=60).text for uri in uris)


def run_day(label: str, base_url: str, pids: Callable[[], set[int]], sequence_file: Path, pages: list[str],
            varnish: Varnish, app: AppServer, seconds: int) -> DayResult:
    app_log = app.log
    reader_pages = set(pages)
    offset = app_log.stat().st_size
    publisher = Publisher(varnish)
    publisher.start()
    result = run_wrk(base_url, pids(), seconds, script=wrk_script(sequence_file), wait=False)
    publisher.stop()
    # Renders wrk did not wait for still finish (and write their access line): count them too.
    wait_idle(process_tree(app.process.pid), timeout=20)
    time.sleep(0.5)
    uris = app_log_uris(app_log, offset)
    counted = app_requests(uris, reader_pages)
    checked = random.Random(3).sample(sorted(reader_pages), min(40, len(reader_pages)))
    last = publisher.published[-1].title if publisher.published else ""
    fresh = fresh_share(base_url, checked, last) if last else 0
    notes = [f"{label}: a publish failed: {f}" for f in publisher.failures[:3]]
    return DayResult(label, result, len(publisher.published), counted, fresh, len(checked), notes,
                     most_requested(uris))


@dataclass
class Day:
    results: list[DayResult]
    sequence_mix: Counter
    probes: int
    share_uri: str
    seconds: int


def run(front: Front, varnish: Varnish, app: AppServer, work_dir: Path, seconds: int,
        step: Callable[[str], None]) -> Day:
    rng = random.Random(9)
    old = rename_some()
    pages = site_pages()
    share_uri = next(uri for uri in pages if uri.startswith("/posts/"))
    probe_uris = probes(pages, old, rng)
    sequence = day_sequence(pages, share_uri, probe_uris)
    sequence_file = write_sequence(work_dir / "day.txt", sequence)
    mix = Counter(classify(u, set(pages)) if not u.startswith(SHARE) else "share" for u in sequence)
    readers = sorted({u for u in sequence if u in set(pages)})
    results = []
    for name, base_url, pids in (
            (f"ours: {front.label}", front.base_url, lambda: process_tree(front.process.pid)),
            ("Varnish", varnish.base_url, lambda: process_tree(varnish.process.pid))):
        # Only the contender about to run is warmed (the other's publishes purged or banned
        # some of its pages); each publish reaches both, so both stay as fresh as they can.
        step(f"day: warming {len(readers)} reader pages through {name}")
        warm(base_url, readers, twice=base_url == front.base_url)
        step(f"day: {name}, {seconds} s, a publish every {PUBLISH_EVERY:.0f} s")
        results.append(run_day(name, base_url, pids, sequence_file, pages, varnish, app, seconds))
    return Day(results, mix, len(set(probe_uris)), share_uri, seconds)
