"""The app's one settings object: ``settings.CACHEKEYS`` merged over documented defaults.

Read through :func:`get_config`, which is cached and cleared on ``setting_changed`` so
``override_settings(CACHEKEYS=...)`` works in tests.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from cachekeys.keys import DEFAULT_TRACKING_PARAMS, TrackingParams
from cachekeys.lookup import KeyRules
from cachekeys.policy import Rules

DEFAULTS: dict = {
    # memcached nodes, "host:port". Nginx picks a node with `hash $key consistent`; the
    # Django client maps keys the same way (cachekeys.pool).
    "SERVERS": ["127.0.0.1:11211"],
    # Prepended to host + request URI before hashing. Nginx must reproduce it, so only
    # [A-Za-z0-9._:/-] (check cachekeys.E003).
    "KEY_PREFIX": "",
    # Seconds a page lives in memcached, shortened by up to JITTER (a fraction) so pages
    # rendered together do not all expire together.
    "TIMEOUT": 300,
    "JITTER": 0.1,
    # Query parameters a cacheable URL may carry; any other sends the request to Django
    # uncached (each distinct query string would otherwise be a new key).
    "QUERY_PARAMS": ["page"],
    # Parameters the key ignores on both sides (analytics' tags on shared links): a URL
    # carrying them reads the page stored for the URL without them. "name*" is a prefix.
    "TRACKING_PARAMS": list(DEFAULT_TRACKING_PARAMS),
    # Content-Type Nginx gives a hit, by regex over the raw request URI, first match wins.
    # A page is stored only when Django's own Content-Type is the one Nginx will give.
    "CONTENT_TYPES": [
        [r"^/feed/", "application/rss+xml; charset=utf-8"],
        [r"^/sitemap\.xml", "application/xml"],
        [r"^/api/", "application/json"],
    ],
    "DEFAULT_CONTENT_TYPE": "text/html; charset=utf-8",
    # Store every page the rules allow, unless its view opts out (never_cache, or
    # cachekeys.decorators.no_store). False: store only views decorated with store_page.
    "STORE_BY_DEFAULT": True,
    # Dotted path to a callable returning the most seconds any page may live now, or None:
    # content that will change on its own (a post scheduled to appear) caps every expiry.
    "EXPIRY_CAP": None,
    # Path prefixes Nginx sends straight to Django and Django never stores.
    "BYPASS_PREFIXES": ["/admin/"],
    # memcached refuses items over 1 MB (its default -I); stay below it with room for the
    # key and item header. Compared with the stored (gzip) size.
    "MAX_ITEM_SIZE": 1_000_000,
    # pymemcache waits forever by default; a hung memcached must not hang a page.
    "CONNECT_TIMEOUT": 0.25,
    "IO_TIMEOUT": 0.25,
    # Stored values are gzip-compressed and carry this memcached flag, which Nginx's
    # memcached_gzip_flag turns into Content-Encoding: gzip (gunzip for other clients).
    "GZIP_FLAG": 1,
    "GZIP_LEVEL": 6,
    # Nginx's own timeouts towards memcached, in milliseconds (its defaults are 60 s).
    "NGINX_MEMCACHED_TIMEOUT_MS": 150,
    "NGINX_MEMCACHED_BUFFER": "64k",
    # The Nginx templates ``nginx_config`` renders.
    "NGINX_TEMPLATE_DIR": None,
    # Coalescing (cachekeys.coalesce): readers that miss a page another request is
    # rendering wait up to COALESCE_WAIT_SECONDS for it instead of rendering it again
    # (0 turns coalescing off). A waiter holds a sync worker: keep it well under
    # gunicorn's worker timeout (30 s) and Nginx's proxy_read_timeout (60 s).
    "COALESCE_WAIT_SECONDS": 10.0,
    # How long a render's claim outlives its holder: the holder renews it while it
    # renders, so this is how soon a waiter takes over from a render that died (a killed
    # worker). Shorter than the wait. Whole seconds (memcached's unit).
    "CLAIM_SECONDS": 5,
    # The first tier (deploy/nginx/first_tier.lua): each Nginx worker keeps the pages it
    # serves in its own memory for at most NGINX_FIRST_TIER_TTL seconds, so a hit costs no
    # round trip to memcached. Every purge then reaches every Nginx in NGINX_PURGE_URLS
    # after memcached's deletes and before the save returns; an Nginx that cannot be
    # reached is waited out (TTL). Off by default: it needs each Nginx's purge URL listed.
    "NGINX_FIRST_TIER": False,
    # Also the most a page can outlive its memcached expiry (a scheduled post shows up that
    # much later on a page read just before its time); purges are not delayed by it.
    "NGINX_FIRST_TIER_TTL": 1.0,
    "NGINX_FIRST_TIER_MB": 32,  # per worker; past it, expired pages go, then all
    # Each Nginx's purge location, e.g. "http://10.0.0.5/_cachekeys/purge".
    "NGINX_PURGE_URLS": [],
    # Addresses (IP or CIDR) Nginx takes purges from besides loopback: the app servers.
    "NGINX_PURGE_ALLOW": [],
    "NGINX_PURGE_TIMEOUT": 0.5,  # seconds per Nginx; a slower one is waited out instead
    # cache_warm: the Nginx it asks (default Host: this URL's), the sitemap it reads there,
    # and the paths it fetches besides the sitemap's.
    "WARM_BASE_URL": "http://127.0.0.1:8000",
    "WARM_SITEMAP": "/sitemap.xml",
    "WARM_PATHS": ["/"],
}


@dataclass(frozen=True)
class Config:
    servers: list[str]
    key_prefix: str
    timeout: int
    jitter: float
    query_params: frozenset[str]
    content_types: list[tuple[str, str]]
    default_content_type: str
    bypass_prefixes: list[str]
    store_by_default: bool
    max_item_size: int
    connect_timeout: float
    io_timeout: float
    gzip_flag: int
    gzip_level: int
    nginx_memcached_timeout_ms: int
    nginx_memcached_buffer: str
    nginx_template_dir: Path = field(default_factory=Path)
    tracking_params: tuple[str, ...] = DEFAULT_TRACKING_PARAMS
    expiry_cap_path: str | None = None
    coalesce_wait_seconds: float = DEFAULTS["COALESCE_WAIT_SECONDS"]
    claim_seconds: int = DEFAULTS["CLAIM_SECONDS"]
    nginx_first_tier: bool = False
    nginx_first_tier_ttl: float = DEFAULTS["NGINX_FIRST_TIER_TTL"]
    nginx_first_tier_mb: float = DEFAULTS["NGINX_FIRST_TIER_MB"]
    nginx_purge_urls: tuple[str, ...] = ()
    nginx_purge_allow: tuple[str, ...] = ()
    nginx_purge_timeout: float = DEFAULTS["NGINX_PURGE_TIMEOUT"]
    warm_base_url: str = DEFAULTS["WARM_BASE_URL"]
    warm_sitemap: str = DEFAULTS["WARM_SITEMAP"]
    warm_paths: tuple[str, ...] = ("/",)

    def expiry_cap(self) -> int | None:
        if not self.expiry_cap_path:
            return None
        seconds = import_string(self.expiry_cap_path)()
        return None if seconds is None else max(1, int(seconds))


@functools.cache
def get_config() -> Config:
    user = getattr(settings, "CACHEKEYS", {})
    if not isinstance(user, dict):
        raise ImproperlyConfigured("CACHEKEYS must be a dict.")
    unknown = set(user) - set(DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(f"CACHEKEYS has unknown keys: {', '.join(sorted(unknown))}.")
    merged = {**DEFAULTS, **user}
    template_dir = merged["NGINX_TEMPLATE_DIR"] or Path(settings.BASE_DIR) / "deploy" / "nginx"
    return Config(
        servers=list(merged["SERVERS"]),
        key_prefix=merged["KEY_PREFIX"],
        timeout=int(merged["TIMEOUT"]),
        jitter=float(merged["JITTER"]),
        query_params=frozenset(merged["QUERY_PARAMS"]),
        tracking_params=tuple(merged["TRACKING_PARAMS"]),
        content_types=[(pattern, ctype) for pattern, ctype in merged["CONTENT_TYPES"]],
        default_content_type=merged["DEFAULT_CONTENT_TYPE"],
        bypass_prefixes=list(merged["BYPASS_PREFIXES"]),
        store_by_default=bool(merged["STORE_BY_DEFAULT"]),
        max_item_size=int(merged["MAX_ITEM_SIZE"]),
        connect_timeout=float(merged["CONNECT_TIMEOUT"]),
        io_timeout=float(merged["IO_TIMEOUT"]),
        gzip_flag=int(merged["GZIP_FLAG"]),
        gzip_level=int(merged["GZIP_LEVEL"]),
        nginx_memcached_timeout_ms=int(merged["NGINX_MEMCACHED_TIMEOUT_MS"]),
        nginx_memcached_buffer=str(merged["NGINX_MEMCACHED_BUFFER"]),
        nginx_template_dir=Path(template_dir),
        expiry_cap_path=merged["EXPIRY_CAP"],
        coalesce_wait_seconds=_seconds(merged, "COALESCE_WAIT_SECONDS", minimum=0),
        claim_seconds=math.ceil(_seconds(merged, "CLAIM_SECONDS", minimum=1)),
        nginx_first_tier=bool(merged["NGINX_FIRST_TIER"]),
        # Checked by cachekeys.E022 rather than here, so `check` can name the problem.
        nginx_first_tier_ttl=merged["NGINX_FIRST_TIER_TTL"],
        nginx_first_tier_mb=merged["NGINX_FIRST_TIER_MB"],
        nginx_purge_urls=tuple(merged["NGINX_PURGE_URLS"]),
        nginx_purge_allow=tuple(merged["NGINX_PURGE_ALLOW"]),
        nginx_purge_timeout=_seconds(merged, "NGINX_PURGE_TIMEOUT", minimum=0.01),
        warm_base_url=str(merged["WARM_BASE_URL"]),
        warm_sitemap=str(merged["WARM_SITEMAP"]),
        warm_paths=tuple(merged["WARM_PATHS"]),
    )


def _seconds(merged: dict, name: str, minimum: float) -> float:
    value = merged[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ImproperlyConfigured(f"CACHEKEYS['{name}'] must be a number of seconds >= {minimum}.")
    return value


def key_rules(config: Config) -> KeyRules:
    return KeyRules(
        key_prefix=config.key_prefix,
        tracking=TrackingParams(config.tracking_params),
        content_types=tuple(config.content_types),
        default_content_type=config.default_content_type,
    )


def store_rules(config: Config) -> Rules:
    return Rules(
        query_params=config.query_params,
        bypass_prefixes=config.bypass_prefixes,
        store_by_default=config.store_by_default,
    )


def reset_config(*, setting: str, **kwargs) -> None:
    """Forget the cached config when a test overrides a setting it is built from."""
    if setting in {"CACHEKEYS", "BASE_DIR"}:
        get_config.cache_clear()
