"""Every kind of editorial change, checked against every page Nginx serves.

Warm every page reachable from the home page and the sitemap, under two hosts, through
real Nginx; make a change (through the admin's views or the ORM); then compare each page
Nginx serves with a fresh render from the app server. Zero stale pages, and the
over-purge ratio (pages purged / pages whose bytes changed) is reported and bounded.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.utils import timezone

from blog.models import Post
from cachekeys.keys import page_key
from cachekeys.store import get_pool
from tests.factories import make_category, make_post, make_tag, make_user
from tests.http import crawl, fetch

pytestmark = pytest.mark.integration

HOSTS = ("site.test", "www.site.test")
MAX_PAGES = 150


@dataclass
class Tally:
    purged: int = 0
    changed: int = 0
    stale: list[str] = field(default_factory=list)
    rows: list[tuple[str, int, int, int]] = field(default_factory=list)


class Site:
    def __init__(self, stack) -> None:
        self.stack = stack
        self.app_url = f"http://{stack.nginx.app[0]}"
        self.uris: list[str] = []
        self.before: dict[tuple[str, str], bytes] = {}

    def fresh(self, host: str, uri: str) -> bytes:
        page = fetch(self.app_url, uri, host=host)  # straight to gunicorn: rendered, never stored
        return page.body if page.status == 200 else b"status %d" % page.status

    def served(self, host: str, uri: str):
        page = fetch(self.stack.base_url, uri, host=host)
        return page, (page.body if page.status == 200 else b"status %d" % page.status)

    def warm(self) -> None:
        self.uris = crawl(self.stack.base_url, HOSTS[0], MAX_PAGES)
        for host in HOSTS:
            for uri in self.uris:
                self.served(host, uri)
                page, body = self.served(host, uri)
                assert page.header("X-Cache") == "HIT", (host, uri, page.header("X-Cache-Reason"))
                self.before[(host, uri)] = body

    def check(self, name: str, tally: Tally) -> None:
        pool = get_pool()
        purged = changed = 0
        for host in HOSTS:
            for uri in self.uris:
                is_purged = pool.get(page_key(host, uri)) is None
                fresh = self.fresh(host, uri)
                page, served = self.served(host, uri)
                if served != fresh:
                    tally.stale.append(f"{name}: {host}{uri} ({page.header('X-Cache')})")
                purged += is_purged
                changed += fresh != self.before[(host, uri)]
        tally.purged += purged
        tally.changed += changed
        tally.rows.append((name, len(self.uris) * len(HOSTS), changed, purged))
        self.warm()  # the new pages (a new post, a new list page) join the next round


def admin_data(post: Post, **changes) -> dict:
    local = timezone.localtime(changes.pop("published_at", post.published_at))
    data = {
        "title": post.title, "slug": post.slug, "body": post.body, "excerpt": post.excerpt,
        "status": post.status, "published_at_0": local.strftime("%Y-%m-%d"),
        "published_at_1": local.strftime("%H:%M:%S"), "author": post.author_id,
        "category": post.category_id or "",
    }
    if "tags" not in changes:
        data["tags"] = [t.pk for t in post.tags.all()]
    data.update(changes)
    return data


@pytest.fixture
def editor(django_user_model) -> Client:
    user = django_user_model.objects.create_user("editor", password="pw-pw-pw-1", is_staff=True,
                                                 is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def admin_save(editor: Client, post: Post, **changes) -> None:
    url = f"/admin/blog/post/{post.pk}/change/"
    response = editor.post(url, admin_data(post, **changes))
    assert response.status_code == 302, response.content.decode()[:2000]


def seed() -> dict:
    games = make_category("Games")
    pc = make_category("PC", parent=games)
    hardware = make_category("Hardware")
    tags = {name: make_tag(name) for name in ("rpg", "retro", "gpu", "indie")}
    authors = [make_user("ada", first_name="Ada", last_name="L"), make_user("bo", first_name="Bo", last_name="K")]
    posts = []
    for i in range(13):
        posts.append(make_post(
            f"Story {i}", slug=f"story-{i}", category=None, author=authors[i % 2],
            ago=datetime.timedelta(days=9 * i + 1), tags=[["rpg", "retro"], ["gpu"], ["indie", "rpg"]][i % 3],
        ))
        posts[-1].category = [games, pc, hardware][i % 3]
        posts[-1].save()
    return {"games": games, "pc": pc, "hardware": hardware, "tags": tags, "authors": authors, "posts": posts}


class TestConsistency:
    def test_every_change_leaves_zero_stale_pages(self, stack, editor, capsys):
        content = seed()
        posts, site, tally = content["posts"], Site(stack), Tally()
        site.warm()
        assert len(site.uris) > 25

        changes: list[tuple[str, Callable[[], None]]] = [
            ("admin: edit a title", lambda: admin_save(editor, posts[4], title="Story four, revised")),
            ("orm: edit a body only", lambda: _save(posts[5], body="<p>Rewritten body.</p>")),
            ("admin: move to another category", lambda: admin_save(
                editor, posts[6], category=content["hardware"].pk)),
            ("orm: add a tag (m2m only)", lambda: posts[7].tags.add(content["tags"]["indie"])),
            ("orm: remove a tag (m2m only)", lambda: posts[7].tags.remove(content["tags"]["indie"])),
            ("admin: create and publish", lambda: _admin_add(editor, content)),
            ("orm: unpublish", lambda: _save(posts[1], status=Post.Status.DRAFT)),
            ("admin action: publish again", lambda: editor.post(
                "/admin/blog/post/", {"action": "publish", "_selected_action": [posts[1].pk]})),
            ("orm: change a slug", lambda: _save(posts[8], slug="story-eight-renamed")),
            ("orm: delete a post", lambda: posts[9].delete()),
            ("orm: rename a category", lambda: _save(content["pc"], name="PC gaming")),
            ("orm: rename a tag", lambda: _save(content["tags"]["retro"], name="Retro games")),
            ("orm: rename an author", lambda: _save(content["authors"][1], first_name="Beau")),
            ("orm: edit an old post's excerpt", lambda: _save(posts[12], excerpt="A new summary.")),
            ("orm: QuerySet.update a title", lambda: Post.objects.filter(pk=posts[10].pk).update(
                title="Story ten, by update")),
            ("orm: empty a section (one UPDATE)", lambda: content["hardware"].posts.clear()),
        ]
        for name, change in changes:
            change()
            site.check(name, tally)

        ratio = tally.purged / max(tally.changed, 1)
        with capsys.disabled():
            print(f"\nconsistency: {len(tally.rows)} changes, {tally.changed} pages changed, "
                  f"{tally.purged} purged, over-purge ratio {ratio:.2f}, {len(tally.stale)} stale")
            for row in tally.rows:
                print("  %-34s pages %3d  changed %3d  purged %3d" % row)
        assert tally.stale == []
        assert ratio <= 1.5


def _save(obj, **fields) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()


def _admin_add(editor: Client, content: dict) -> None:
    post = Post(title="Brand new", slug="brand-new", body="<p>Fresh.</p>", excerpt="",
                status=Post.Status.PUBLISHED, published_at=timezone.now() - datetime.timedelta(minutes=5),
                author=content["authors"][0], category=content["games"])
    data = admin_data(post, tags=[content["tags"]["indie"].pk])
    response = editor.post("/admin/blog/post/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
