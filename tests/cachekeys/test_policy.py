import dataclasses

import pytest

from cachekeys.keys import TrackingParams, page_key
from cachekeys.lookup import KeyRules, lookup
from cachekeys.policy import Exchange, Rules, refusal

KEY_RULES = KeyRules(
    key_prefix="p:",
    tracking=TrackingParams(["utm_*", "fbclid"]),
)
RULES = Rules(
    query_params=frozenset({"page"}),
    bypass_prefixes=["/admin/"],
    store_by_default=True,
)


def exchange(**changes) -> Exchange:
    uri = changes.pop("request_uri", "/posts/a/?page=2")
    host = changes.pop("host", "site.test")
    method = changes.pop("method", "GET")
    key = changes.pop("nginx_key", page_key(host, uri or "/", "p:"))
    looked = lookup(method, host, uri, key, KEY_RULES)
    canonical = changes.pop("canonical_uri", looked.key_uri)
    base = Exchange(
        lookup=looked, canonical_uri=canonical,
        path=(uri or "/").split("?")[0], has_session_cookie=False, has_authorization=False,
        csrf_token_used=False, opted_out=False, opted_in=False, status=200, streaming=False,
        headers=(("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "12"),
                 ("X-Frame-Options", "DENY")), sets_cookie=False, cache_control="", vary="",
    )
    return dataclasses.replace(base, **changes)


class TestRefusal:
    def test_a_plain_anonymous_page_is_stored(self):
        assert refusal(exchange(), RULES) is None

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"method": "HEAD"}, "method"),
            ({"method": "POST"}, "method"),
            ({"status": 404}, "status"),
            ({"status": 301}, "status"),
            ({"streaming": True}, "streaming"),
            ({"opted_out": True}, "view opted out"),
            ({"path": "/admin/blog/"}, "bypassed path"),
            ({"has_session_cookie": True}, "identified visitor"),
            ({"has_authorization": True}, "identified visitor"),
            ({"csrf_token_used": True}, "csrf token in page"),
            ({"sets_cookie": True}, "sets cookie"),
            ({"cache_control": "max-age=0, no-cache, no-store, must-revalidate, private"}, "cache-control"),
            ({"cache_control": "Private"}, "cache-control"),
            ({"vary": "Accept-Language"}, "vary"),
            ({"vary": "*"}, "vary"),
            ({"nginx_key": None}, "not looked up by nginx"),
            ({"request_uri": None, "path": "/"}, "not looked up by nginx"),
            ({"nginx_key": "0" * 32}, "key disagrees with nginx"),
            ({"headers": (("Content-Type", "text/html"), ("X-Custom", "1"))}, "header X-Custom not carried"),
            ({"headers": (("Content-Type", "text/html"), ("Link", "<a>\n; rel=x"))}, "header Link not carried"),
            ({"canonical_uri": "/posts/a/?page=3"}, "not canonical"),
        ],
    )
    def test_refuses(self, changes, reason):
        assert refusal(exchange(**changes), RULES) == reason

    def test_query_strings_outside_the_allow_list_are_refused(self):
        uri = "/?ref=x"
        assert refusal(exchange(request_uri=uri, nginx_key=page_key("site.test", uri, "p:")), RULES) == "query string"
        assert refusal(exchange(request_uri="/?page=3"), RULES) is None

    @pytest.mark.parametrize("uri", ["/?utm_source=x", "/?fbclid=1&utm_medium=m", "/?utm_campaign=a&fbclid=b"])
    def test_tracking_parameters_are_stored_under_the_plain_key(self, uri):
        assert refusal(exchange(request_uri=uri, nginx_key=page_key("site.test", "/", "p:")), RULES) is None
        # Nginx hashes the URI without them: a key of the raw URI is not Nginx's.
        assert refusal(exchange(request_uri=uri), RULES) == "key disagrees with nginx"

    def test_key_must_be_for_this_host(self):
        key = page_key("site.test", "/posts/a/?page=2", "p:")
        assert refusal(exchange(host="evil.test", nginx_key=key), RULES) == "key disagrees with nginx"

    def test_headers_a_hit_repeats_or_nginx_sets_are_fine(self):
        headers = (("Content-Type", "application/rss+xml"), ("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
                   ("X-Robots-Tag", "noindex"), ("Vary", "Accept-Encoding"), ("Content-Length", "3"))
        assert refusal(exchange(headers=headers), RULES) is None

    def test_vary_nginx_honours_is_fine(self):
        assert refusal(exchange(vary="Accept-Encoding, Cookie"), RULES) is None

    def test_opt_in_mode(self):
        rules = dataclasses.replace(RULES, store_by_default=False)
        assert refusal(exchange(), rules) == "view did not opt in"
        assert refusal(exchange(opted_in=True), rules) is None


class TestVouchedRedirects:
    def test_a_redirect_is_stored_only_when_vouched_for_and_nginx_serves_its_status(self, monkeypatch):
        monkeypatch.setattr("cachekeys.policy.VOUCHED_REDIRECTS", frozenset({301, 308}))
        assert refusal(exchange(status=301, opted_in=True), RULES) is None
        assert refusal(exchange(status=301), RULES) == "status"  # APPEND_SLASH's, any path's
        assert refusal(exchange(status=302, opted_in=True), RULES) == "status"
