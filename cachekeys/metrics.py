"""What the page cache does, for Prometheus (and ``./manage.py cache_stats``).

Two kinds of numbers, each kept where it happens:

* Counters and histograms of what Django does (renders, refusals, coalescing, purges),
  kept with ``prometheus_client`` in its multiprocess mode: every process on the box
  (gunicorn's workers, ``cache_maintain``, a ``cache_purge`` run) writes its own file in
  ``PROMETHEUS_MULTIPROC_DIR`` and a scrape adds them up. The settings point it at
  ``var/metrics/`` unless the environment names another folder; empty it when the app
  starts (deploy/README.md, "Metrics").
* Gauges read when scraped, from where the truth is: deletes still owed to a node (the
  database), each memcached node's memory, items and evictions (memcached ``stats``).

Hits never reach Django: Nginx counts requests by ``X-Cache`` outcome and status itself
(``deploy/nginx/metrics.lua``, on Nginx's own ``/_cachekeys/metrics``).
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

# Set on a response that is not a page (the metrics themselves): not counted as a render.
UNCOUNTED = "cachekeys_uncounted"
RENDER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PURGE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

RENDERS = Counter("cachekeys_renders", "Requests Django rendered (misses, bypasses, editors), by X-Cache.",
                  ["outcome"])
RENDER_SECONDS = Histogram("cachekeys_render_seconds", "Time to render a page Nginx missed.",
                           buckets=RENDER_BUCKETS)
REFUSALS = Counter("cachekeys_store_refusals", "Rendered pages not stored, by X-Cache-Reason.", ["reason"])
COALESCE = Counter("cachekeys_coalesce", "Readers of a cold page, by what coalescing did for them: "
                   "served (another render's page), claimed (rendered it for the others), rendered "
                   "(alone: gave up waiting, or memcached down).", ["result"])
COALESCE_WAIT_SECONDS = Histogram("cachekeys_coalesce_wait_seconds", "Time a reader waited for another "
                                  "render's page.", buckets=RENDER_BUCKETS)
PURGES = Counter("cachekeys_purges", "Purges (one per save or purge command), by result.", ["result"])
PURGED_TAGS = Counter("cachekeys_purge_tags", "Surrogate keys purged.", ["kind"])
PURGED_KEYS = Counter("cachekeys_purge_keys", "Page keys deleted by purges.", ["kind"])
NODE_DELETES = Counter("cachekeys_purge_node_deletes", "Delete round trips to a memcached node, by result "
                       "(failed ones are owed: cachekeys_pending_deletes).", ["server", "result"])
PURGE_SECONDS = Histogram("cachekeys_purge_seconds", "Time a purge took (memcached, first tiers, records).",
                          buckets=PURGE_BUCKETS)

# memcached `stats` fields: (metric suffix, kind, help).
NODE_STATS = {
    b"bytes": ("memory_bytes", "gauge", "Bytes of items the node holds."),
    b"limit_maxbytes": ("memory_limit_bytes", "gauge", "The node's memory limit (-m)."),
    b"curr_items": ("items", "gauge", "Items the node holds."),
    b"evictions": ("evictions", "counter", "Items the node evicted to make room (pages lost early)."),
    b"get_hits": ("get_hits", "counter", "Reads that found their item."),
    b"get_misses": ("get_misses", "counter", "Reads that did not."),
}
_REASON_DETAIL = re.compile(r"\s*[:(].*$")


def reason_label(reason: str) -> str:
    """A refusal's label: the reason without any detail after ':' or '(' (bounded labels)."""
    return _REASON_DETAIL.sub("", reason)[:60] or "unknown"


def count_render(outcome: str, seconds: float, reason: str | None) -> None:
    RENDERS.labels(outcome).inc()
    RENDER_SECONDS.observe(seconds)
    if reason is not None:
        REFUSALS.labels(reason_label(reason)).inc()


def count_coalesced(waited: float) -> None:
    COALESCE.labels("served").inc()
    COALESCE_WAIT_SECONDS.observe(waited)


def count_purge(tags: int, keys: int, servers: list[str], failed: list[str], seconds: float) -> None:
    PURGES.labels("missed a node" if failed else "ok").inc()
    PURGED_TAGS.labels("tag").inc(tags)
    PURGED_KEYS.labels("page").inc(keys)
    for server in servers:
        NODE_DELETES.labels(server, "failed" if server in failed else "ok").inc()
    PURGE_SECONDS.observe(seconds)


def count_purge_error() -> None:
    PURGES.labels("error").inc()


class LiveCollector(Collector):
    """Gauges read at scrape time: pending deletes, and each memcached node's stats."""

    def collect(self) -> Iterator[Metric]:
        yield self.pending_deletes()
        yield from self.node_stats()

    @staticmethod
    def pending_deletes() -> Metric:
        from django.db.models import Count

        from cachekeys.models import PendingDelete
        from cachekeys.store import get_pool

        family = GaugeMetricFamily("cachekeys_pending_deletes", "Deletes a down memcached node missed, "
                                   "retried by cache_maintain and every purge.", labels=["server"])
        owed = dict(PendingDelete.objects.values_list("server").annotate(n=Count("key")))
        for server in sorted({*get_pool().servers, *owed}):
            family.add_metric([server], owed.get(server, 0))
        return family

    @staticmethod
    def node_stats() -> Iterator[Metric]:
        from cachekeys.pool import NodeUnavailable
        from cachekeys.store import get_pool

        pool = get_pool()
        up = GaugeMetricFamily("cachekeys_memcached_up", "1 if the node answered stats.", labels=["server"])
        families = {
            field: (CounterMetricFamily if kind == "counter" else GaugeMetricFamily)(
                f"cachekeys_memcached_{suffix}", text, labels=["server"])
            for field, (suffix, kind, text) in NODE_STATS.items()
        }
        for server in pool.servers:
            try:
                stats = pool.call(server, "stats")
            except NodeUnavailable:
                up.add_metric([server], 0)
                continue
            up.add_metric([server], 1)
            for field, family in families.items():
                if field in stats:
                    family.add_metric([server], float(stats[field]))
        yield up
        yield from families.values()


def registry() -> CollectorRegistry:
    """Every process's counters (multiprocess mode) plus the live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        MultiProcessCollector(collected)
    else:  # a single process (the app used without the project's settings)
        collected = CollectorRegistry()
        collected.register(_Default())
    collected.register(LiveCollector())
    return collected


class _Default(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition() -> bytes:
    return generate_latest(registry())


# ``cache_stats``: the same numbers as a table, for people without Prometheus.

NGINX_METRICS_PATH = "/_cachekeys/metrics"


def nginx_metrics_urls(base_url: str) -> list[str]:
    """The Nginx metrics URL by default: beside the one cache_warm asks (fronts are not listed)."""
    return [base_url.rstrip("/") + NGINX_METRICS_PATH]


def read_nginx(url: str, timeout: float = 2.0) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (an ops-given URL)
        return answer.read().decode("utf-8")


def rows(text: str, source: str) -> list[tuple[str, str, str, float]]:
    """(source, metric, labels, value) for each sample; histograms as count and sum only."""
    from prometheus_client.parser import text_string_to_metric_families

    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith(("_bucket", "_created")):
                continue
            labels = ",".join(f"{name}={value}" for name, value in sorted(sample.labels.items()))
            found.append((source, sample.name, labels, sample.value))
    return found


def hit_ratio(nginx_rows: list[tuple[str, str, str, float]]) -> float | None:
    """Hits over requests that went through the cache (X-Cache set), or None before any."""
    cached = [(labels, value) for _, name, labels, value in nginx_rows
              if name == "cachekeys_nginx_requests_total" and "cache=NONE" not in labels]
    total = sum(value for _, value in cached)
    return sum(value for labels, value in cached if "cache=HIT" in labels) / total if total else None
