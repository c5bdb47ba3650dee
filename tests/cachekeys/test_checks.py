from django.core.checks import Error
from django.test import override_settings

from cachekeys.checks import check_settings

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cachekeys.middleware.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]


def ids(errors) -> list[str]:
    return [error.id for error in errors]


class TestChecks:
    def test_project_settings_pass(self):
        assert check_settings() == []

    @override_settings(MIDDLEWARE=[m for m in MIDDLEWARE if "PageCache" not in m])
    def test_missing_middleware(self):
        [error] = check_settings()
        assert error == Error(
            "cachekeys.middleware.PageCacheMiddleware is not in MIDDLEWARE: no page will ever be stored.",
            hint="Add it right after SecurityMiddleware.", id="cachekeys.E001",
        )

    @override_settings(MIDDLEWARE=[MIDDLEWARE[0], MIDDLEWARE[2], MIDDLEWARE[1], *MIDDLEWARE[3:]])
    def test_middleware_below_sessions(self):
        [error] = check_settings()
        assert error.id == "cachekeys.E002"
        assert "SessionMiddleware" in error.msg

    @override_settings(MIDDLEWARE=[*MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"])
    def test_gzip_below_us(self):
        assert ids(check_settings()) == ["cachekeys.E005"]

    @override_settings(CACHEKEYS={"SERVERS": []})
    def test_no_servers(self):
        assert ids(check_settings()) == ["cachekeys.E004"]

    @override_settings(CACHEKEYS={"SERVERS": ["localhost"]})
    def test_server_without_port(self):
        assert ids(check_settings()) == ["cachekeys.E004"]

    @override_settings(CACHEKEYS={"KEY_PREFIX": 'a"b'})
    def test_prefix_nginx_cannot_reproduce(self):
        [error] = check_settings()
        assert error.id == "cachekeys.E003"
        assert error.hint == "Use at most 64 of A-Z a-z 0-9 . _ : / -"

    @override_settings(CACHEKEYS={"QUERY_PARAMS": ["page", "a b"]})
    def test_query_param_with_odd_characters(self):
        assert ids(check_settings()) == ["cachekeys.E006"]

    @override_settings(CACHEKEYS={"CONTENT_TYPES": [["(", "text/plain"], ["^/x", 'a"b']]})
    def test_bad_content_type_rules(self):
        assert ids(check_settings()) == ["cachekeys.E007", "cachekeys.E007"]

    @override_settings(CACHEKEYS={"TIMOUT": 5})
    def test_unknown_setting_is_named(self):
        [error] = check_settings()
        assert error.id == "cachekeys.E000"
        assert "TIMOUT" in error.msg

    @override_settings(CACHEKEYS={"TIMEOUT": 60 * 60 * 24 * 31})
    def test_timeout_over_30_days_warns(self):
        assert ids(check_settings()) == ["cachekeys.W001"]
