"""Start-up with a bad environment must stop, naming the variable to fix."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
# Variables the settings read; every test starts from none of them, whatever the host sets.
SETTINGS_VARIABLES = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "MEMCACHED_SERVERS", "STATIC_ROOT"}


def start(**variables: str) -> subprocess.CompletedProcess:
    """Run ``django.setup()`` with the real settings and only ``variables`` set."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="site_project.settings", **variables)
    return subprocess.run([sys.executable, "-c", SETUP], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=60)


class TestSettingsFromTheEnvironment:
    def test_a_good_environment_starts(self):
        result = start(SECRET_KEY="a-real-secret", DATABASE_URL="sqlite:////tmp/x.sqlite3",
                       MEMCACHED_SERVERS="127.0.0.1:11211,[::1]:11212")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "False"

    def test_debug_on_needs_no_secret_key(self):
        result = start(DEBUG="1")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "True"

    @pytest.mark.parametrize(
        ("variables", "named", "detail"),
        [
            ({}, "SECRET_KEY", "required unless DEBUG is on"),
            ({"SECRET_KEY": "   ", "DEBUG": "0"}, "SECRET_KEY", "required unless DEBUG is on"),
            ({"SECRET_KEY": "s", "DEBUG": "maybe"}, "DEBUG", "'maybe'"),
            ({"SECRET_KEY": "s", "DATABASE_URL": "foo://x"}, "DATABASE_URL", "unknown database scheme"),
            ({"SECRET_KEY": "s", "DATABASE_URL": "sqlite://"}, "DATABASE_URL", "names no SQLite file"),
            ({"SECRET_KEY": "s", "MEMCACHED_SERVERS": "nonsense"}, "MEMCACHED_SERVERS", "'nonsense'"),
            ({"SECRET_KEY": "s", "MEMCACHED_SERVERS": "host:99999"}, "MEMCACHED_SERVERS", "not host:port"),
            ({"SECRET_KEY": "s", "MEMCACHED_SERVERS": " , "}, "MEMCACHED_SERVERS", "at least one"),
        ],
        ids=["no-secret-key", "blank-secret-key", "debug-maybe", "unknown-database",
             "sqlite-without-file", "memcached-nonsense", "memcached-bad-port", "memcached-empty"],
    )
    def test_a_bad_value_stops_start_up_and_names_the_variable(self, variables, named, detail):
        result = start(**variables)
        assert result.returncode != 0
        last_line = result.stderr.strip().splitlines()[-1]
        assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:")
        assert named in last_line
        assert detail in last_line
