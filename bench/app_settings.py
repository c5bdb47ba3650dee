"""The magazine's settings as the benchmark runs it: Nginx's first tier on.

The bench process and the app server both read this module, so the Nginx the bench renders
has the first tier and both processes purge it at ``BENCH_PURGE_URL`` (set by
``bench/run.py`` once it has picked Nginx's port).
"""
import os

from site_project.settings import *  # noqa: F401,F403
from site_project.settings import CACHEKEYS

CACHEKEYS = {
    **CACHEKEYS,
    "NGINX_FIRST_TIER": True,
    "NGINX_PURGE_URLS": [os.environ["BENCH_PURGE_URL"]],
}
