import hashlib

import pytest

from cachekeys.keys import (
    DEFAULT_TRACKING_PARAMS,
    TrackingParams,
    key_uri,
    normalize_host,
    page_key,
    query_is_allowed,
    query_names,
    split_absolute_url,
    url_key,
)

TRACKING = TrackingParams(DEFAULT_TRACKING_PARAMS)


def md5(text: bytes) -> str:
    return hashlib.md5(text).hexdigest()


class TestNormalizeHost:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("site.test", "site.test"),
            ("SITE.TEST", "site.test"),
            ("site.test:80", "site.test"),
            ("Site.Test.:8080", "site.test"),
            ("site.test.", "site.test"),
            ("127.0.0.1:8000", "127.0.0.1"),
            ("[::1]:8000", "[::1]"),
            ("[2001:DB8::1]", "[2001:db8::1]"),
        ],
    )
    def test_matches_nginx_host(self, given, expected):
        assert normalize_host(given) == expected


class TestPageKey:
    def test_is_md5_of_prefix_host_and_uri(self):
        assert page_key("site.test", "/a?page=2", "v1:") == md5(b"v1:site.test/a?page=2")

    def test_is_32_lowercase_hex_digits(self):
        key = page_key("site.test", "/")
        assert len(key) == 32 and key == key.lower() and int(key, 16) >= 0

    def test_host_is_normalized_first(self):
        assert page_key("SITE.TEST:80", "/") == page_key("site.test", "/")

    @pytest.mark.parametrize("uri", ["/%61", "/a?", "/a?page=1&page=2", "/A", "//a", "/a/./b"])
    def test_uri_is_taken_exactly_as_sent(self, uri):
        assert page_key("h", uri) == md5(b"h" + uri.encode())
        assert page_key("h", uri) != page_key("h", "/a")

    def test_raw_bytes_survive_the_latin1_round_trip(self):
        # WSGI hands "/caf\xc3\xa9" over as latin-1 text; the key must hash those bytes.
        wsgi_text = "/café".encode("utf-8").decode("latin-1")
        assert page_key("h", wsgi_text) == md5("h/café".encode("utf-8"))


class TestSplitAbsoluteUrl:
    @pytest.mark.parametrize(
        ("url", "host", "uri"),
        [
            ("http://SITE.TEST:80/a%61?", "site.test", "/a%61?"),
            ("https://site.test", "site.test", "/"),
            ("http://site.test?page=2", "site.test", "/?page=2"),
            ("http://user@site.test/x#frag", "site.test", "/x"),
            ("http://[::1]:8000/x?y", "[::1]", "/x?y"),
        ],
    )
    def test_gives_nginx_host_and_request_uri(self, url, host, uri):
        assert split_absolute_url(url) == (host, uri)

    @pytest.mark.parametrize("url", ["/relative", "site.test/x", "http:///x", ""])
    def test_refuses_what_is_not_absolute(self, url):
        with pytest.raises(ValueError):
            split_absolute_url(url)


class TestQueryAllowList:
    def test_names_stay_raw(self):
        assert query_names("p%61ge=2&x&&y=1=2") == ["p%61ge", "x", "y"]

    @pytest.mark.parametrize(
        ("uri", "allowed"),
        [("/", True), ("/?", True), ("/?page=2", True), ("/?page=2&page=3", True),
         ("/?page", True), ("/?utm=1", False), ("/?page=2&utm=1", False), ("/?p%61ge=2", False)],
    )
    def test_only_allow_listed_names_pass(self, uri, allowed):
        assert query_is_allowed(uri, {"page"}) is allowed


class TestTrackingParams:
    @pytest.mark.parametrize("name", ["utm_source", "utm_", "utm_anything", "fbclid", "gclid", "_ga", "_gl",
                                      "mc_cid", "mc_eid", "igshid", "yclid", "twclid", "ref_src", "dclid",
                                      "msclkid"])
    def test_default_names_and_the_utm_prefix(self, name):
        assert name in TRACKING

    @pytest.mark.parametrize("name", ["page", "utm", "UTM_source", "utm%5Fsource", "fbclid2", "_gax", "ref"])
    def test_anything_else_is_not_tracking(self, name):
        assert name not in TRACKING


class TestKeyUri:
    @pytest.mark.parametrize(
        ("uri", "expected"),
        [
            ("/posts/a/", "/posts/a/"),
            ("/posts/a/?", "/posts/a/?"),  # nothing removed: nothing changes
            ("/?page=2&&", "/?page=2&&"),
            ("/posts/a/?utm_source=x", "/posts/a/"),
            ("/posts/a/?fbclid=1&utm_medium=m&gclid=", "/posts/a/"),
            ("/?utm_source=x&page=2", "/?page=2"),
            ("/?page=2&utm_source=x", "/?page=2"),
            ("/api/v1/post/?offset=20&fbclid=z&limit=5", "/api/v1/post/?offset=20&limit=5"),
            ("/?page=2&&utm_source=x", "/?page=2"),
            ("/?utm_source", "/"),
            ("/?x=%41&utm_campaign=a", "/?x=%41"),  # others keep their spelling
            ("/?utm%5Fsource=x", "/?utm%5Fsource=x"),
        ],
    )
    def test_strips_tracking_parameters_only(self, uri, expected):
        assert key_uri(uri, TRACKING) == expected

    def test_no_rule_strips_nothing(self):
        assert key_uri("/?utm_source=x") == "/?utm_source=x"

    def test_url_key_is_the_key_of_the_key_uri(self):
        assert url_key("http://Site.Test/?utm_source=x&page=2", "p:", TRACKING) == page_key("site.test", "/?page=2", "p:")
