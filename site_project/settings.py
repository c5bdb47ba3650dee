"""Settings for the magazine, read from the environment (see README "Configuration").

Every variable is parsed strictly by ``site_project.env``: a missing or malformed value
stops start-up with an error that names it.
"""
from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from site_project.env import (
    env, read_addresses, read_bool, read_choice, read_database, read_int, read_list, read_port,
    read_positive_int, read_proxy_ssl_header, read_secret_key, read_servers,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
# prometheus_client's multiprocess mode (cachekeys.metrics): every process on the box
# writes its counters to a file here and a scrape adds them up. It must be in the
# environment before prometheus_client is imported; empty it when the app starts.
METRICS_DIR = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics")))
try:
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
except OSError as error:
    raise ImproperlyConfigured(f"PROMETHEUS_MULTIPROC_DIR {str(METRICS_DIR)!r} cannot be created: {error}.") from None

DEBUG = read_bool("DEBUG", default=False)
SECRET_KEY = read_secret_key("SECRET_KEY", debug=DEBUG)
ALLOWED_HOSTS = read_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
MEMCACHED_SERVERS = read_servers("MEMCACHED_SERVERS", default=["127.0.0.1:11211"])
DATABASES = {"default": read_database("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several gunicorn workers write to one SQLite file: wait for the lock, don't fail, and
    # take it when a transaction starts (a deferred one that must upgrade fails at once).
    # WAL: readers never wait for a writer. Without it a long write (an import's cluster)
    # that outgrows SQLite's page cache locks the file exclusively and readers - the site's
    # pages - fail with "database is locked" after the timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL",
    })

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "django_ratelimit",
    "csp",
    "axes",
    "cachekeys",
    "blog",
    "lettuce",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost of the app's own middleware, so it sees the final response (see cachekeys docs).
    "cachekeys.middleware.PageCacheMiddleware",
    # Below the page cache, so the policy is part of the response it stores; Nginx repeats
    # it on hits (cachekeys.headers.HEADER_MIDDLEWARE). django-csp's own, in a fixed order.
    "site_project.csp.StableCSPMiddleware",
    # Below the page cache (which stores its 301s), above CommonMiddleware (APPEND_SLASH first).
    "blog.redirects.OldUrlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes): AxesStandaloneBackend refuses a locked-out login before
# the password is checked. After AXES_FAILURE_LIMIT failures from one address, or for one
# username, further attempts are refused for AXES_COOLOFF_TIME; a successful login resets
# them; lockouts are listed in the admin (Axes > Access attempts) and lifted there or with
# `./manage.py axes_reset`. The address is the reader's as Nginx saw it, never Nginx's own
# (cachekeys.clients), so one client locks out only itself.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = read_positive_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=read_positive_int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one alone locks
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "cachekeys.clients.client_address"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False  # its start-up banner on every manage.py command

ROOT_URLCONF = "site_project.urls"
WSGI_APPLICATION = "site_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],  # every template lives in an app's templates/ folder
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Photos (blog.images): uploaded files live in MEDIA_ROOT, which Nginx serves at MEDIA_URL
# with a year's immutable caching (names are content hashes). Django never serves them in
# production. With AWS_STORAGE_BUCKET_NAME set, they go to an S3-compatible object store
# instead, shared by every app server (deploy/README.md "Photos on an object store").
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# The largest upload, in megabytes: Nginx's client_max_body_size is rendered from it and
# Django refuses a larger photo itself (an app server may be reached without Nginx).
UPLOAD_MAX_MB = read_positive_int("UPLOAD_MAX_MB", default=20)
# Decoding a photo larger than this many pixels is refused (a decompression bomb).
IMAGE_MAX_PIXELS = read_positive_int("IMAGE_MAX_PIXELS", default=50_000_000)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def object_store(bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 custom_domain: str | None = None) -> dict:
    """The photo storage on an S3-compatible object store (django-storages), as deployed."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "region_name": region,
            "custom_domain": custom_domain,
            "querystring_auth": False,  # public photos: plain, cacheable URLs
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }


if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    STORAGES["default"] = object_store(
        env.str("AWS_STORAGE_BUCKET_NAME"),
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        region=env.str("AWS_S3_REGION_NAME", default="") or None,
        custom_domain=env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
    )

# Security headers Django sets on every response; the Nginx template repeats them on
# cache hits (rendered from these same settings), so a hit and a miss look alike.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# HTTPS, named as Django names them (deploy/README.md, "TLS at the load balancer"). Off by
# default: `make run` and a plain-HTTP box would otherwise redirect to an https:// nobody serves.
SECURE_SSL_REDIRECT = read_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = read_int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = read_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = read_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = read_bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = read_bool("CSRF_COOKIE_SECURE", default=False)
# The header saying a request came over HTTPS. Nginx sets it (a client's own is
# overwritten): from the request's own scheme, or, from a load balancer listed in
# CACHEKEYS["NGINX_REAL_IP_FROM"], from that balancer's header. gunicorn is reachable only through Nginx.
SECURE_PROXY_SSL_HEADER = read_proxy_ssl_header("SECURE_PROXY_SSL_HEADER",
                                                default=("HTTP_X_FORWARDED_PROTO", "https"))
# Content-Security-Policy (django-csp) on every page, and on every hit (Nginx repeats it):
# the site's own scripts and styles only, no inline code (blog/static/blog/js/site.js is a
# file; the admin's scripts are files too). Photos may come from the object store.
def _photo_sources() -> list[str]:
    options = STORAGES["default"].get("OPTIONS", {})
    if "bucket_name" not in options:
        return [f"{p.scheme}://{p.netloc}"] if (p := urlsplit(MEDIA_URL)).scheme and p.netloc else []
    if options.get("custom_domain"):
        return [f"https://{options['custom_domain']}"]
    if options.get("endpoint_url"):
        parts = urlsplit(options["endpoint_url"])
        return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://*.{parts.netloc}"]
    return ["https://*.amazonaws.com"]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_photo_sources()],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Origins allowed to POST (the admin) besides the request's own host, e.g. behind a TLS
# terminator that talks to Nginx over plain HTTP: "https://magazine.example".
CSRF_TRUSTED_ORIGINS = read_list("CSRF_TRUSTED_ORIGINS", default=[])

CACHEKEYS = {
    "SERVERS": MEMCACHED_SERVERS,
    # Nginx's branded page while no app server answers (rendered into nginx.conf).
    "UNAVAILABLE_TEMPLATE": "503.html",
    # Load balancers in front of Nginx: Nginx takes the client's address (X-Forwarded-For)
    # and the scheme header above from them only.
    "NGINX_REAL_IP_FROM": read_addresses("NGINX_REAL_IP_FROM", default=[]),
    # The Nginx fronts gunicorn hears from besides loopback: their X-Real-IP is the client's
    # address (login throttling, metrics access); anyone else is taken at their own address.
    "TRUSTED_PROXIES": read_addresses("TRUSTED_PROXIES", default=[]),
    # Who may read /_cachekeys/metrics besides loopback (Prometheus), on Nginx and Django.
    "METRICS_ALLOW": read_addresses("METRICS_ALLOW", default=[]),
    # The API's paging and filters (blog/api/) are part of a cacheable URL; nothing else is.
    # WordPress's old addresses of "/" (/?p=ID, /?page_id=ID, /?cat=ID...), answered with a
    # 301 to where they moved (blog.redirects.OLD_URL_PARAMS; check blog.W001).
    # WordPress's comment-reply links (?replytocom=ID), which crawlers follow on every old
    # post: looked up so that the 301 to the page without it is kept by Nginx
    # (cachekeys.missing), not rendered by Django each time.
    "QUERY_PARAMS": ["page", "limit", "offset", "category", "tag",
                     "p", "page_id", "attachment_id", "cat", "m", "feed", "author", "replytocom"],
    # /api/v1/me/ answers per visitor: Nginx must never look it up, Django never store it.
    # So do comment submissions and an author's question about their own comment.
    "BYPASS_PREFIXES": ["/admin/", "/api/v1/me/", "/api/v1/comment/"],
    # A post scheduled to appear shortens every page's life to its publication time.
    "EXPIRY_CAP": "blog.invalidation.seconds_until_next_publication",
    # Absolute URLs in stored pages, feeds and sitemaps: the key holds neither scheme nor port.
    "PUBLIC_SCHEME": read_choice("PUBLIC_SCHEME", "http", ("http", "https")),
    "PUBLIC_PORT": read_port("PUBLIC_PORT"),
}

# Comments' per-address rate limit (blog.comments) counts in memcached, shared by every app
# server. A memcached outage lets comments through (they still wait for moderation).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": MEMCACHED_SERVERS,
        "KEY_PREFIX": "ratelimit",
        "OPTIONS": {"connect_timeout": 0.25, "timeout": 0.25, "ignore_exc": True},
    },
}
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_FAIL_OPEN = True
# Comments one address may send: "COUNT/PERIOD", the period in s, m, h or d ("5/10m").
COMMENT_RATE = env.str("COMMENT_RATE", default="5/10m")
if not re.fullmatch(r"[1-9][0-9]*/[1-9]?[0-9]*[smhd]", COMMENT_RATE):
    raise ImproperlyConfigured(f"COMMENT_RATE must be COUNT/PERIOD such as 5/10m, got {COMMENT_RATE!r}.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Errors a reader met (500s) go to the console, DEBUG or not.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "cachekeys": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "blog": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Lockouts (WARNING) yes; every successful login's bookkeeping (INFO) no.
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
