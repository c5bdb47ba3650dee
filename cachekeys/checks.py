"""System checks for settings Nginx and Django must agree on (ids listed in the README)."""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning
from django.core.exceptions import ImproperlyConfigured

from cachekeys.keys import SAFE_PREFIX

MIDDLEWARE = "cachekeys.middleware.PageCacheMiddleware"
# Middleware that may set cookies or change the body: ours must see their final response.
MUST_COME_AFTER_US = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
)
GZIP = "django.middleware.gzip.GZipMiddleware"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# Written inside double quotes in nginx.conf: no quote, no line break, no trailing "\".
QUOTABLE = re.compile(r'^[^"\n\r]*[^"\n\r\\]$')
HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$")


def check_settings(app_configs=None, **kwargs) -> list:
    from cachekeys.conf import get_config

    try:
        config = get_config()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="See the README's CACHEKEYS table.", id="cachekeys.E000")]
    return [
        *_check_middleware(list(settings.MIDDLEWARE)),
        *_check_servers(config.servers),
        *_check_prefix(config.key_prefix),
        *_check_nginx_values(config),
        *_check_first_tier(config),
    ]


def _check_middleware(middleware: list[str]) -> list:
    if MIDDLEWARE not in middleware:
        return [Error(f"{MIDDLEWARE} is not in MIDDLEWARE: no page will ever be stored.",
                      hint="Add it right after SecurityMiddleware.", id="cachekeys.E001")]
    ours = middleware.index(MIDDLEWARE)
    above = [m for m in MUST_COME_AFTER_US if m in middleware[:ours]]
    if above:
        return [Error(f"{MIDDLEWARE} comes after {', '.join(above)}, so it cannot see the "
                      "cookies they set and could store a visitor's page for everyone.",
                      hint="Move it above them, right after SecurityMiddleware.", id="cachekeys.E002")]
    if GZIP in middleware[ours + 1:]:
        return [Error(f"{GZIP} comes after {MIDDLEWARE}: pages would be stored compressed twice.",
                      hint="Remove GZipMiddleware (Nginx compresses) or move it above.",
                      id="cachekeys.E005")]
    return []


def _check_servers(servers: list[str]) -> list:
    if not servers:
        return [Error("CACHEKEYS['SERVERS'] lists no memcached server.",
                      hint="Set MEMCACHED_SERVERS, e.g. 127.0.0.1:11211.", id="cachekeys.E004")]
    bad = [s for s in servers if not HOST_PORT.match(s)]
    if bad:
        return [Error(f"CACHEKEYS['SERVERS'] holds {', '.join(map(repr, bad))}, not host:port.",
                      hint="Write each node as host:port.", id="cachekeys.E004")]
    return []


def _check_prefix(prefix: str) -> list:
    if not SAFE_PREFIX.match(prefix):
        return [Error(f"CACHEKEYS['KEY_PREFIX'] {prefix!r} cannot be reproduced by Nginx's Lua key.",
                      hint="Use at most 64 of A-Z a-z 0-9 . _ : / -", id="cachekeys.E003")]
    return []


def _check_nginx_values(config) -> list:
    errors = []
    bad_params = sorted(p for p in config.query_params if not SAFE_NAME.match(p))
    if bad_params:
        errors.append(Error(f"CACHEKEYS['QUERY_PARAMS'] holds {bad_params!r}; Nginx compares raw names.",
                            hint="Use names of A-Z a-z 0-9 _ . - only.", id="cachekeys.E006"))
    bad_tracking = [p for p in config.tracking_params if not SAFE_NAME.match(p.removesuffix("*"))]
    if bad_tracking:
        errors.append(Error(f"CACHEKEYS['TRACKING_PARAMS'] holds {bad_tracking!r}; Nginx compares raw names.",
                            hint="Use names of A-Z a-z 0-9 _ . - only, or a prefix ending in *.",
                            id="cachekeys.E009"))
    for pattern, content_type in config.content_types:
        try:
            re.compile(pattern)
        except re.error as error:
            errors.append(Error(f"CACHEKEYS['CONTENT_TYPES'] pattern {pattern!r}: {error}",
                                hint="Use a regular expression valid in Python and PCRE.",
                                id="cachekeys.E007"))
        if not (QUOTABLE.match(pattern) and QUOTABLE.match(content_type)):
            errors.append(Error(f"CACHEKEYS['CONTENT_TYPES'] entry {pattern!r} -> {content_type!r} "
                                "cannot be written into nginx.conf.",
                                hint="Avoid double quotes, line breaks and a trailing backslash.",
                                id="cachekeys.E007"))
    if not SAFE_NAME.match(settings.SESSION_COOKIE_NAME):
        errors.append(Error(f"SESSION_COOKIE_NAME {settings.SESSION_COOKIE_NAME!r} cannot be tested by Nginx.",
                            hint="Use A-Z a-z 0-9 _ . - only.", id="cachekeys.E008"))
    if config.timeout > 60 * 60 * 24 * 30:
        errors.append(Warning("CACHEKEYS['TIMEOUT'] is over 30 days; memcached caps it there.",
                              id="cachekeys.W001"))
    return errors


# E020-E029: the first tier in Nginx and its purges (cachekeys.tier), cache_warm.
def _check_first_tier(config) -> list:
    errors = [*_check_purge_urls(config.nginx_purge_urls), *_check_purge_allow(config.nginx_purge_allow)]
    for name, value in (("NGINX_FIRST_TIER_TTL", config.nginx_first_tier_ttl),
                        ("NGINX_FIRST_TIER_MB", config.nginx_first_tier_mb)):
        if not _positive_number(value):
            errors.append(Error(f"CACHEKEYS['{name}'] is {value!r}, not a positive number.",
                                hint="E.g. 1.0 (seconds) and 32 (megabytes per Nginx worker).",
                                id="cachekeys.E022"))
    ttl = config.nginx_first_tier_ttl
    if config.nginx_first_tier and _positive_number(ttl) and ttl > 5:
        errors.append(Warning(f"CACHEKEYS['NGINX_FIRST_TIER_TTL'] is {ttl} s: a page may outlive its "
                              "memcached expiry by that much (a scheduled post shows up that late).",
                              hint="A second is enough for a first tier to absorb the load.",
                              id="cachekeys.W020"))
    if config.nginx_first_tier and not config.nginx_purge_urls:
        errors.append(Error("CACHEKEYS['NGINX_FIRST_TIER'] is on but NGINX_PURGE_URLS lists no Nginx: "
                            "every save would wait out the first tier's TTL.",
                            hint="List each Nginx's purge location, e.g. http://10.0.0.5/_cachekeys/purge.",
                            id="cachekeys.E020"))
    return errors


def _positive_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _check_purge_urls(urls) -> list:
    bad = [url for url in urls if not _is_http_url(url)]
    if bad:
        return [Error(f"CACHEKEYS['NGINX_PURGE_URLS'] holds {', '.join(map(repr, bad))}, not http://host[:port]/path.",
                      hint="Name each Nginx by the address the app servers reach it at.", id="cachekeys.E021")]
    return []


def _is_http_url(url) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme == "http" and bool(parts.hostname) and parts.path.startswith("/") and (
            parts.port is None or parts.port > 0)
    except (TypeError, ValueError):  # not a string, or a port out of range
        return False


def _check_purge_allow(addresses) -> list:
    bad = []
    for address in addresses:
        try:
            ipaddress.ip_network(address, strict=False)
        except (TypeError, ValueError):
            bad.append(address)
    if bad:
        return [Error(f"CACHEKEYS['NGINX_PURGE_ALLOW'] holds {', '.join(map(repr, bad))}, not an IP address or network.",
                      hint="Write addresses like 10.0.0.5 or 10.0.0.0/24.", id="cachekeys.E023")]
    return []
