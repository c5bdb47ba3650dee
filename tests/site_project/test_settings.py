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
SETTINGS_VARIABLES = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "MEMCACHED_SERVERS", "STATIC_ROOT",
                      "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                      "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                      "SECURE_PROXY_SSL_HEADER", "NGINX_REAL_IP_FROM", "TRUSTED_PROXIES", "METRICS_ALLOW",
                      "CSRF_TRUSTED_ORIGINS", "PUBLIC_SCHEME"}
# deploy/README.md, "TLS at the load balancer": the environment, as ops write it.
TLS_AT_THE_LOAD_BALANCER = """
SECRET_KEY=kq1VwJ0u9mS8b_3Xr2yTqLz7N4cPfD6hG5jA0eW8iU1oY3tR9sK2vB7nM4xC6zQ
DEBUG=0
ALLOWED_HOSTS=respawn.example,www.respawn.example
CSRF_TRUSTED_ORIGINS=https://respawn.example,https://www.respawn.example
SECURE_SSL_REDIRECT=1
SECURE_HSTS_SECONDS=31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS=1
SECURE_HSTS_PRELOAD=1
SESSION_COOKIE_SECURE=1
CSRF_COOKIE_SECURE=1
SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto,https
NGINX_REAL_IP_FROM=10.0.0.2
PUBLIC_SCHEME=https
"""


def clean_environment(**variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="site_project.settings", **variables)
    return env


def start(**variables: str) -> subprocess.CompletedProcess:
    """Run ``django.setup()`` with the real settings and only ``variables`` set."""
    return subprocess.run([sys.executable, "-c", SETUP], cwd=PROJECT, env=clean_environment(**variables),
                          capture_output=True, text=True, timeout=60)


def check_deploy(variables: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=PROJECT, env=clean_environment(**variables), capture_output=True, text=True,
                          timeout=120)


def environment_file(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.strip().splitlines())


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
            ({"SECRET_KEY": "s", "SESSION_COOKIE_SECURE": "sure"}, "SESSION_COOKIE_SECURE", "'sure'"),
            ({"SECRET_KEY": "s", "SECURE_HSTS_SECONDS": "1y"}, "SECURE_HSTS_SECONDS", "whole number"),
            ({"SECRET_KEY": "s", "SECURE_HSTS_SECONDS": "-5"}, "SECURE_HSTS_SECONDS", "whole number"),
            ({"SECRET_KEY": "s", "SECURE_PROXY_SSL_HEADER": "https"}, "SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto,https"),
            ({"SECRET_KEY": "s", "SECURE_PROXY_SSL_HEADER": "X Proto,https"}, "SECURE_PROXY_SSL_HEADER", "header name"),
            ({"SECRET_KEY": "s", "NGINX_REAL_IP_FROM": "lb.example"}, "NGINX_REAL_IP_FROM", "'lb.example'"),
            ({"SECRET_KEY": "s", "TRUSTED_PROXIES": "10.0.0.300"}, "TRUSTED_PROXIES", "not an IP address"),
            ({"SECRET_KEY": "s", "METRICS_ALLOW": "everyone"}, "METRICS_ALLOW", "not an IP address"),
            ({"SECRET_KEY": "s", "PROMETHEUS_MULTIPROC_DIR": "/proc/no-such"}, "PROMETHEUS_MULTIPROC_DIR",
             "cannot be created"),
        ],
        ids=["no-secret-key", "blank-secret-key", "debug-maybe", "unknown-database",
             "sqlite-without-file", "memcached-nonsense", "memcached-bad-port", "memcached-empty",
             "secure-cookie-sure", "hsts-1y", "hsts-negative", "ssl-header-no-value", "ssl-header-space",
             "real-ip-name", "trusted-proxy-bad", "metrics-allow-word", "metrics-dir-impossible"],
    )
    def test_a_bad_value_stops_start_up_and_names_the_variable(self, variables, named, detail):
        result = start(**variables)
        assert result.returncode != 0
        last_line = result.stderr.strip().splitlines()[-1]
        assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:")
        assert named in last_line
        assert detail in last_line


class TestProduction:
    def test_tls_at_the_load_balancer_passes_check_deploy(self):
        result = check_deploy(environment_file(TLS_AT_THE_LOAD_BALANCER))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in result.stdout

    def test_without_it_check_deploy_names_what_is_missing(self):
        plain = {key: value for key, value in environment_file(TLS_AT_THE_LOAD_BALANCER).items()
                 if not key.startswith(("SECURE_", "SESSION_", "CSRF_COOKIE"))}
        result = check_deploy(plain)
        assert result.returncode != 0
        for warning in ("W004", "W008", "W012", "W016"):
            assert f"security.{warning}" in result.stderr + result.stdout, warning

    def test_the_settings_are_django_s_own(self):
        probe = ("import django; django.setup(); from django.conf import settings as s; "
                 "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
                 "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)")
        env = clean_environment(**{**environment_file(TLS_AT_THE_LOAD_BALANCER),
                                   "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_SSL,on"})
        result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT, env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.stdout.strip() == "True 31536000 True True ('HTTP_X_FORWARDED_SSL', 'on')", result.stderr
