"""System checks for settings Nginx and Django must agree on (ids listed in the README)."""
from __future__ import annotations

import re

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
    bad_params = [p for p in config.query_params if not SAFE_NAME.match(p)]
    if bad_params:
        errors.append(Error(f"CACHEKEYS['QUERY_PARAMS'] holds {bad_params!r}; Nginx compares raw names.",
                            hint="Use names of A-Z a-z 0-9 _ . - only.", id="cachekeys.E006"))
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
