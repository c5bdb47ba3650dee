"""The test settings with Nginx's first tier on, for app servers behind such an Nginx.

Its purge location comes from ``NGINX_PURGE_URLS`` (comma-separated) in the environment,
set by the fixture that started that Nginx (``tests/integration/test_first_tier.py``):
an app server purges the first tier as the test process does.
"""
import os

from tests.settings import *  # noqa: F401,F403
from tests.settings import CACHEKEYS

CACHEKEYS = {
    **CACHEKEYS,
    "NGINX_FIRST_TIER": True,
    "NGINX_PURGE_URLS": [url for url in os.environ.get("NGINX_PURGE_URLS", "").split(",") if url],
}
