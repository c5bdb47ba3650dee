"""The metrics after a scripted run through real Nginx, memcached and gunicorn.

Hits, misses, a bypass, a 404, purges, then a dead memcached node: Nginx's counters and
Django's must say exactly what happened (compared as differences, so earlier tests of the
run do not count).
"""
from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families

from blog.models import Tag
from blog.surrogates import tag_posts
from cachekeys.fragments import FRAGMENT_PREFIX
from cachekeys.models import CachedPage
from cachekeys.purge import purge_tags, purge_urls
from tests.factories import make_post
from tests.integration.test_first_tier import tier_site
from tests.http import fetch

pytestmark = pytest.mark.integration

Samples = Counter  # (name, sorted labels) -> value


def parse(text: str) -> Samples:
    found = Samples()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] += sample.value
    return found


def nginx_metrics(stack) -> Samples:
    answer = fetch(stack.base_url, "/_cachekeys/metrics")  # loopback: allowed
    assert answer.status == 200, answer.status
    return parse(answer.text)


def app_metrics(stack) -> Samples:
    """Django's metrics from the app server itself (gunicorn), as Prometheus scrapes them."""
    answer = fetch(f"http://{stack.nginx.app[0]}", "/_cachekeys/metrics", host="127.0.0.1")
    assert answer.status == 200, answer.status
    return parse(answer.text)


def requests(samples: Samples, cache: str, status: str) -> float:
    return samples[("cachekeys_nginx_requests_total", (("cache", cache), ("status", status)))]


def one(name: str, **labels: str) -> tuple:
    return (name, tuple(sorted(labels.items())))


def test_the_counts_tell_what_happened(make_site):
    stack = make_site(memcached_nodes=2)
    make_post("First", slug="first", tags=["pc"])
    make_post("Second", slug="second", tags=["pc"])
    nginx_before, app_before = nginx_metrics(stack), app_metrics(stack)

    pages = ["/posts/first/", "/posts/second/", "/tag/pc/"]
    for uri in pages:  # 3 misses
        assert fetch(stack.base_url, uri, host="site.test").header("X-Cache") == "MISS"
    for _ in range(2):  # 6 hits
        for uri in pages:
            assert fetch(stack.base_url, uri, host="site.test").header("X-Cache") == "HIT"
    bypass = fetch(stack.base_url, "/posts/first/?utm_x=1&preview=1", host="site.test")
    assert bypass.header("X-Cache") == "BYPASS"  # a parameter not allow-listed: Django, not stored
    missing = fetch(stack.base_url, "/no-such-page/", host="site.test")
    assert missing.status == 404
    # The pages' shared parts (sidebar, footer...) were rendered once each too, by their includes.
    parts = CachedPage.objects.filter(uri__startswith=FRAGMENT_PREFIX).count()
    assert parts

    purged = purge_urls(["http://site.test/posts/second/"])
    assert len(purged.keys) == 1 and not purged.failed_servers
    stack.memcached[1].kill()
    dead = stack.memcached[1].address
    with_dead_node = purge_tags({tag_posts(Tag.objects.get(slug="pc").pk)})  # the tag's page at least
    assert with_dead_node.keys and with_dead_node.failed_servers == [dead]

    nginx, app = nginx_metrics(stack) - nginx_before, app_metrics(stack)
    assert requests(nginx, "MISS", "200") == 3
    assert requests(nginx, "HIT", "200") == 6
    assert requests(nginx, "BYPASS", "200") == 1
    assert sum(value for (name, labels), value in nginx.items()
               if name == "cachekeys_nginx_requests_total" and ("status", "404") in labels) == 1
    assert nginx[one("cachekeys_nginx_request_seconds_total", cache="HIT", status="200")] >= 0

    delta = Samples({key: app[key] - app_before[key] for key in app})
    # A 404 Nginx keeps itself (a negative entry) is a MISS; one it does not, a BYPASS.
    kept_404 = missing.header("X-Cache") == "MISS"
    assert delta[one("cachekeys_renders_total", outcome="MISS")] == 3 + kept_404 + parts
    assert delta[one("cachekeys_renders_total", outcome="BYPASS")] == 1 + (not kept_404)
    assert delta[one("cachekeys_store_refusals_total", reason="not looked up by nginx")] == 1  # the bypass
    assert delta[one("cachekeys_store_refusals_total", reason="status")] == (not kept_404)
    assert delta[one("cachekeys_render_seconds_count")] == 5 + parts
    # Each miss, part and the 404 rendered holding the claim (no other reader was waiting).
    assert delta[one("cachekeys_coalesce_total", result="claimed")] == 4 + parts
    assert delta[one("cachekeys_purges_total", result="ok")] == 1
    assert delta[one("cachekeys_purges_total", result="missed a node")] == 1
    assert delta[one("cachekeys_purge_keys_total", kind="page")] == len(purged.keys) + len(with_dead_node.keys)
    assert delta[one("cachekeys_purge_node_deletes_total", server=dead, result="failed")] == 1
    assert delta[one("cachekeys_purge_node_deletes_total", server=stack.memcached[0].address, result="ok")] == 2
    assert delta[one("cachekeys_purge_seconds_count")] == 2
    # Owed to the dead node: the purged pages, and the kept 404s' token (cachekeys.missing).
    assert app[one("cachekeys_pending_deletes", server=dead)] in (len(with_dead_node.keys),
                                                                  len(with_dead_node.keys) + 1)
    assert app[one("cachekeys_memcached_up", server=dead)] == 0
    alive = stack.memcached[0].address
    assert app[one("cachekeys_memcached_up", server=alive)] == 1
    assert app[one("cachekeys_memcached_items", server=alive)] >= 1
    assert app[one("cachekeys_memcached_memory_limit_bytes", server=alive)] == 64 * 1024 * 1024

    # The same numbers as a table, for people without Prometheus.
    out = io.StringIO()
    call_command("cache_stats", f"--nginx={stack.base_url}/_cachekeys/metrics", stdout=out)
    table = out.getvalue()
    assert "hit ratio" in table and "cachekeys_nginx_requests_total" in table
    assert f"server={dead}" in table and "cachekeys_pending_deletes" in table


def test_metrics_are_refused_to_other_addresses(stack):
    assert fetch(stack.base_url, "/_cachekeys/metrics", source="127.0.0.2").status == 200  # loopback
    # Every Host, known or not, gets Nginx's own numbers: Django's are never proxied.
    for host in ("site.test", "unknown.example"):
        answer = fetch(stack.base_url, "/_cachekeys/metrics", host=host)
        assert answer.status == 200 and "cachekeys_nginx_requests_total" in answer.text
        assert "cachekeys_renders_total" not in answer.text


def test_the_first_tier_reports_its_size_and_evictions(transactional_db):
    # 64 KB for the Nginx (the least it takes): a few pages fill it, the next make it drop live pages.
    with tier_site(NGINX_FIRST_TIER_MB=0.0625) as stack:
        posts = [make_post(f"Tier {i}", slug=f"tier-{i}", body="<p>" + "words " * 2000 + "</p>")
                 for i in range(6)]
        for post in posts:
            uri = post.get_absolute_url()
            assert fetch(stack.base_url, uri, host="site.test").header("X-Cache") == "MISS"
            assert fetch(stack.base_url, uri, host="site.test").header("X-Cache") == "HIT"
        found = nginx_metrics(stack)
    assert 0 < found[one("cachekeys_nginx_first_tier_bytes")] <= 64 * 1024
    assert found[one("cachekeys_nginx_first_tier_workers")] == 1  # the poller reports the shared tier
    assert found[one("cachekeys_nginx_first_tier_evictions_total")] >= 1
