"""Settings for the test run: the real settings, with a throwaway key and memcached port.

The integration fixtures start their own memcached and Nginx on free ports and pass
them to gunicorn through the environment, exactly as ``make run`` does.
"""
import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1,site.test,.site.test")

from site_project.settings import *  # noqa: E402,F401,F403
