"""The magazine's own steps: people, posts, the page cache and the feed.

The generic browser steps come from ``lettuce.webdriver`` (imported by ``terrain.py``).
Cache checks fetch pages from this process (``tests.http``, the one HTTP helper the tests
and features share), through Nginx, and read the
``X-Cache`` header the stack sets: ``HIT`` (Nginx answered from memcached), ``MISS``
(Django rendered and stored the page) or ``BYPASS`` (Django rendered, did not store).
"""
from __future__ import annotations

import datetime
import re

from defusedxml import ElementTree
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django.utils.text import slugify
from selenium.webdriver.common.by import By

from blog.models import Category, Post, Tag
from cachekeys.tracking import tracker
from lettuce import step, world
from lettuce.urls import resolve_url
from lettuce.webdriver import cookie_header, find_button, normalize, texts_of, wait_for
from tests.http import Response
from tests.http import fetch as http_fetch

EDITOR_MODELS = ("post", "category", "tag", "image", "page", "comment")
POST_CARD_TITLES = "main article.post-card .post-card__title"


# -- people ---------------------------------------------------------------------------


def remember_password(username: str, password: str) -> None:
    passwords = getattr(world, "passwords", {})
    passwords[username] = password
    world.passwords = passwords


@step(r'^the user "([^"]*)" exists with password "([^"]*)"$')
def user_exists(step, username, password):
    get_user_model().objects.create_user(username, f"{username}@example.com", password)
    remember_password(username, password)


@step(r'^the editor "([^"]*)" exists with password "([^"]*)"$')
def editor_exists(step, username, password):
    """A staff user in the Editors group, which may add, change and delete posts."""
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(Permission.objects.filter(
        content_type__app_label="blog", content_type__model__in=EDITOR_MODELS,
    ))
    user = get_user_model().objects.create_user(
        username, f"{username}@example.com", password, is_staff=True,
    )
    user.groups.add(editors)
    remember_password(username, password)


@step(r'^I log in as "([^"]*)"$')
def log_in(step, username):
    password = getattr(world, "passwords", {}).get(username)
    assert password is not None, f'no password known for "{username}": create them first'
    step.behave_as(f'''
        Given I visit "/admin/login/"
        When I fill in "Username" with "{username}"
        And I fill in "Password" with "{password}"
        And I press "Log in"
        Then I should see "Welcome, {username}"
    ''')


@step(r"^I log out$")
def log_out(step):
    if find_button(world.browser, "Log out") is None:
        world.browser.get(resolve_url("/admin/"))
    step.behave_as('''
        When I press "Log out"
        Then I should see "Thanks for spending some quality time with the web site today."
    ''')


# -- posts ----------------------------------------------------------------------------

_RELATIVE = re.compile(r"^(?:(?P<in>in) )?(?P<n>\d+) (?P<unit>minute|hour|day|week)s?(?: (?P<ago>ago))?$")


def parse_when(text: str, default: datetime.datetime) -> datetime.datetime:
    """Read "now", "3 days ago", "in 2 hours" or an ISO date/time (UTC)."""
    text = text.strip().lower()
    now = timezone.now()
    if not text:
        return default
    if text in {"now", "today"}:
        return now
    relative = _RELATIVE.match(text)
    if relative and bool(relative["in"]) != bool(relative["ago"]):
        delta = datetime.timedelta(**{f"{relative['unit']}s": int(relative["n"])})
        return now + delta if relative["in"] else now - delta
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def named(model, name: str):
    return model.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0]


@step(r"^the following posts are published:$")
def posts_are_published(step):
    """Create a public post per row.

    Columns: ``title`` (required), ``slug``, ``body``, ``category`` and ``author``
    (created when missing), ``tags`` (comma separated), ``published`` ("3 days ago", an
    ISO date...). Without ``published``, each row is a minute older than the one above,
    so the table reads newest first, like the home page.
    """
    now = timezone.now()
    for index, row in enumerate(step.hashes):
        title = row["title"]
        author, _ = get_user_model().objects.get_or_create(username=row.get("author") or "newsdesk")
        post = Post.objects.create(
            title=title,
            slug=row.get("slug") or slugify(title),
            body=row.get("body") or "<p>The whole story, told in full.</p>",
            status=Post.Status.PUBLISHED,
            published_at=parse_when(row.get("published", ""), now - datetime.timedelta(minutes=index)),
            author=author,
            category=named(Category, row["category"]) if row.get("category") else None,
        )
        tag_names = [name.strip() for name in row.get("tags", "").split(",") if name.strip()]
        post.tags.set([named(Tag, name) for name in tag_names])


@step(r'^the title of "([^"]*)" changes to "([^"]*)" without the cache being told$')
def rename_behind_cache(step, old, new):
    # With tracking paused nothing purges the cached pages (an update purges like a save
    # otherwise): what a reader is shown afterwards tells whether the page came from the cache.
    with tracker.paused():
        assert Post.objects.filter(title=old).update(title=new) == 1, f'no post titled "{old}"'


@step(r'^the post title should be "([^"]*)"$')
def post_title_is(step, title):
    wait_for(lambda browser: normalize(browser.find_element(By.CSS_SELECTOR, "h1.post-title").text) == title,
             lambda: f'the post title is not "{title}" on {world.browser.current_url}')


@step(r'^the page heading should be "([^"]*)"$')
def page_heading_is(step, heading):
    def heading_matches(browser):
        first = browser.find_element(By.CSS_SELECTOR, "main h1")
        return normalize(first.get_attribute("textContent")) == heading

    wait_for(heading_matches, lambda: f'the page heading is not "{heading}" on {world.browser.current_url}')


@step(r"^I should see (\d+) post cards?$")
def post_card_count(step, count):
    wait_for(lambda browser: len(texts_of(POST_CARD_TITLES)) == int(count),
             lambda: f"{len(texts_of(POST_CARD_TITLES))} post cards, not {count}: {texts_of(POST_CARD_TITLES)}")


@step(r"^the post cards should read:$")
def post_cards_read(step):
    """Compare the titles of the main column's post cards, in order, with the table's."""
    expected = step.hashes.values_under("title")
    wait_for(lambda browser: texts_of(POST_CARD_TITLES) == expected,
             lambda: f"the post cards read {texts_of(POST_CARD_TITLES)}, not {expected}")


# -- the cache, seen from outside the browser ---------------------------------------------


def fetch(path: str, cookies: str = "") -> Response:
    """GET ``path`` through Nginx, as a reader without a browser would (no redirects followed)."""
    return http_fetch(world.base_url, path, headers={"Cookie": cookies} if cookies else None,
                      timeout=15)


@step(r'^the page "([^"]*)" is served from the cache$')
def served_from_cache(step, path):
    """Pass when Nginx answers ``path`` from memcached, after at most one warming request."""
    first = fetch(path)
    if first.x_cache == "HIT":
        return
    assert first.x_cache == "MISS", f"{path} cannot be cached: {first.describe()}"
    second = fetch(path)
    assert second.x_cache == "HIT", f"{path} was stored but not served from the cache: {second.describe()}"


@step(r'^the next request for "([^"]*)" is a cache (HIT|MISS|BYPASS)$')
def next_request_is(step, path, expected):
    fetched = fetch(path)
    assert fetched.x_cache == expected, f"{path}: expected X-Cache: {expected}, got {fetched.describe()}"


@step(r'^my next request for "([^"]*)" is not served from the cache$')
def my_request_not_cached(step, path):
    """Fetch ``path`` with the browser's cookies (its session): never a cache hit."""
    cookies = cookie_header()
    assert "sessionid=" in cookies, "the browser has no session: log in first"
    fetched = fetch(path, cookies)
    assert fetched.status == 200, f"{path}: {fetched.describe()}"
    assert fetched.x_cache != "HIT", f"{path} came from the cache for a logged-in user: {fetched.describe()}"


@step(r'^the page "([^"]*)" answers (\d{3})$')
def page_answers(step, path, status):
    fetched = fetch(path)
    assert fetched.status == int(status), f"{path}: expected {status}, got {fetched.describe()}"


@step(r'^the feed "([^"]*)" lists "([^"]*)" first$')
def feed_lists_first(step, path, title):
    fetched = fetch(path)
    assert fetched.status == 200, f"{path}: {fetched.describe()}"
    titles = [item.findtext("title") for item in ElementTree.fromstring(fetched.body).iter("item")]
    assert titles and titles[0] == title, f"the feed lists {titles}, not {title!r} first"
