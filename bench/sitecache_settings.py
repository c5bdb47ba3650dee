"""Django's own per-site cache, as its documentation sets it up, for the comparison.

``UpdateCacheMiddleware`` first and ``FetchFromCacheMiddleware`` last, PyMemcacheCache on
the bench's memcached; this project's page cache middleware is taken out, so what is
measured is Django's stock cache alone.
"""
from site_project.settings import *  # noqa: F401,F403
from site_project.settings import MEMCACHED_SERVERS, MIDDLEWARE

MIDDLEWARE = [
    "django.middleware.cache.UpdateCacheMiddleware",
    *[name for name in MIDDLEWARE if name != "cachekeys.middleware.PageCacheMiddleware"],
    "django.middleware.cache.FetchFromCacheMiddleware",
]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": MEMCACHED_SERVERS,
    }
}
CACHE_MIDDLEWARE_SECONDS = 600
CACHE_MIDDLEWARE_KEY_PREFIX = "bench-sitecache"
# Taken out on purpose (above): its absence is what this module measures.
SILENCED_SYSTEM_CHECKS = ["cachekeys.E001"]
