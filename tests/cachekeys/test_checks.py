import io
from pathlib import Path

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from cachekeys.checks import check_settings
from cachekeys.options import BY_NAME, SETTINGS

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

    @override_settings(CACHEKEYS={"CONTENT_TYPES": [["^/feed/", "application/rss+xml"]]})
    def test_content_types_are_gone_hits_carry_their_own(self):
        [error] = check_settings()
        assert error.id == "cachekeys.E000" and "CONTENT_TYPES" in error.msg

    @override_settings(CACHEKEYS={"NGINX_FIRST_TIER_TTL": 0, "NGINX_FIRST_TIER_MB": "lots"})
    def test_first_tier_sizes(self):
        assert ids(check_settings()) == ["cachekeys.E022", "cachekeys.E022"]

    @override_settings(CACHEKEYS={"NGINX_FIRST_TIER_TTL": 30})
    def test_a_long_first_tier_ttl_is_warned_of(self):
        assert ids(check_settings()) == ["cachekeys.W020"]

    @override_settings(CACHEKEYS={"TIMOUT": 5})
    def test_unknown_setting_is_named(self):
        [error] = check_settings()
        assert error.id == "cachekeys.E000"
        assert "TIMOUT" in error.msg

    @override_settings(CACHEKEYS={"TIMEOUT": 60 * 60 * 24 * 31})
    def test_timeout_over_30_days_warns(self):
        assert ids(check_settings()) == ["cachekeys.W001"]


class TestEveryBadValueIsACheck:
    """Each value a parser refuses is one Error with its setting's id and hint, never a traceback."""

    @pytest.mark.parametrize(
        ("cachekeys", "expected"),
        [
            ({"TIMEOUT": "abc"}, Error("CACHEKEYS['TIMEOUT'] is 'abc', not a whole number at least 1.",
                                       hint="E.g. 3600 (seconds).", id="cachekeys.E010")),
            ({"SERVERS": "127.0.0.1:11211"},
             Error("CACHEKEYS['SERVERS'] is '127.0.0.1:11211', not a list of strings.",
                   hint='Write each node as host:port in a list, e.g. ["127.0.0.1:11211"].',
                   id="cachekeys.E004")),
            ({"NGINX_FIRST_TIER_MB": "lots"},
             Error("CACHEKEYS['NGINX_FIRST_TIER_MB'] is 'lots', not a number over 0.",
                   hint=BY_NAME["NGINX_FIRST_TIER_MB"].hint, id="cachekeys.E022")),
            ({"JITTER": 2}, Error("CACHEKEYS['JITTER'] is 2, not a number at least 0 and at most 0.9.",
                                  hint="E.g. 0.1: up to 10 % shorter.", id="cachekeys.E010")),
            ({"STORE_BY_DEFAULT": "no"}, Error("CACHEKEYS['STORE_BY_DEFAULT'] is 'no', not True or False.",
                                               hint="True or False.", id="cachekeys.E010")),
            ({"TRACKING_PARAMS": ["utm_*", "a b"]},
             Error("CACHEKEYS['TRACKING_PARAMS'] holds ['a b']; Nginx compares raw names.",
                   hint="Use names of A-Z a-z 0-9 _ . - only, or a prefix ending in *.", id="cachekeys.E009")),
            ({"NGINX_PURGE_POLL_SECONDS": 0},
             Error("CACHEKEYS['NGINX_PURGE_POLL_SECONDS'] is 0, not a number at least 0.01 and at most 5.",
                   hint="E.g. 0.1 (seconds).", id="cachekeys.E022")),
        ],
    )
    def test_exact_output(self, cachekeys, expected):
        with override_settings(CACHEKEYS=cachekeys):
            assert check_settings() == [expected]

    @override_settings(CACHEKEYS=["SERVERS"])
    def test_not_a_dict(self):
        assert check_settings() == [Error("CACHEKEYS is list, not a dict.",
                                          hint="See the CACHEKEYS table in cachekeys/README.md.",
                                          id="cachekeys.E000")]

    @override_settings(CACHEKEYS={"TIMEOUT": "abc", "GZIP_LEVEL": 12, "SERVERS": "x"})
    def test_manage_py_check_names_them_all_without_a_traceback(self):
        out = io.StringIO()
        with pytest.raises(SystemCheckError) as raised:
            call_command("check", stdout=out, stderr=out)
        text = str(raised.value)
        for check_id in ("cachekeys.E004", "cachekeys.E010"):
            assert check_id in text
        assert "GZIP_LEVEL" in text and "TIMEOUT" in text and "Traceback" not in text

    def test_every_setting_is_declared_once_with_an_id_and_hint(self):
        assert len(BY_NAME) == len(SETTINGS)
        for setting in SETTINGS:
            assert setting.check_id.startswith("cachekeys.E") and setting.hint and setting.doc
            assert setting.parse(setting.default) is not None or setting.default is None


def test_the_readme_documents_every_setting_and_check_id():
    text = (Path(__file__).resolve().parents[2] / "cachekeys" / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in text, setting.name
        assert f"`{setting.check_id}`" in text, setting.check_id
