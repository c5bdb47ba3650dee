"""System checks for settings Nginx and Django must agree on (ids in cachekeys/README.md).

Each value is checked by its own parser, declared once with its id and hint in
``cachekeys.options``; what is left here are the rules that relate several settings.
"""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning

from cachekeys.options import SAFE_NAME

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


def check_settings(app_configs=None, **kwargs) -> list:
    from cachekeys.conf import read_config

    config, problems = read_config(getattr(settings, "CACHEKEYS", {}))
    return [
        *_check_middleware(list(settings.MIDDLEWARE)),
        *[Error(p.message, hint=p.hint, id=p.check_id) for p in problems],
        *_check_session_cookie(),
        *_check_together(config),
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


def _check_session_cookie() -> list:
    if not SAFE_NAME.match(settings.SESSION_COOKIE_NAME):
        return [Error(f"SESSION_COOKIE_NAME {settings.SESSION_COOKIE_NAME!r} cannot be tested by Nginx.",
                      hint="Use A-Z a-z 0-9 _ . - only.", id="cachekeys.E008")]
    return []


def _check_together(config) -> list:
    errors = []
    if config.timeout > 60 * 60 * 24 * 30:
        errors.append(Warning("CACHEKEYS['TIMEOUT'] is over 30 days; memcached caps it there.",
                              id="cachekeys.W001"))
    # E020-E029: the first tier in Nginx and its purge log (cachekeys.deletes).
    ttl = config.nginx_first_tier_ttl
    if config.nginx_first_tier and ttl > 5:
        errors.append(Warning(f"CACHEKEYS['NGINX_FIRST_TIER_TTL'] is {ttl} s: a page may outlive its "
                              "memcached expiry by that much (a scheduled post shows up that late).",
                              hint="A few seconds are enough for a first tier to absorb the load.",
                              id="cachekeys.W020"))
    return errors
