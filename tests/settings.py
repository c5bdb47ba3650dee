"""Settings for the test run: the real settings, with a throwaway key.

The test database is a file (SQLite) or a real server database (``DATABASE_URL``), so the
gunicorn processes the integration fixtures start read what the tests write.
"""
import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
# Uploaded photos of this run, away from var/media (gunicorn started by the tests gets the same).
os.environ.setdefault("MEDIA_ROOT", os.path.join(tempfile.gettempdir(), f"magazine-media-{os.getpid()}"))
# One metrics folder per test run, shared with the gunicorn processes the run starts
# (they inherit the environment): counts from other runs never mix in. The run that made
# it removes it when it exits.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(tempfile.gettempdir(), f"magazine-metrics-{os.getpid()}")
    atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1,site.test,.site.test")

from site_project.settings import *  # noqa: E402,F401,F403
from site_project.settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_DATABASE_FILE")
        or os.path.join(tempfile.gettempdir(), f"magazine-test-{os.getpid()}.sqlite3"),
    }
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users

# The test process counts comments per address in its own memory (a shared memcached
# would carry counts between runs); app servers the integration tests start use their
# stack's memcached, as production does (tests.conftest.app_env).
if not os.environ.get("TEST_RATELIMIT_MEMCACHED"):
    from site_project.settings import CACHES  # noqa: E402

    CACHES = {**CACHES, "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                      "LOCATION": "ratelimit"}}
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# harvest (which runs on these settings) serves the site through Nginx and memcached.
HARVEST_STACK = "tests.harvest_stack.CachedSite"
