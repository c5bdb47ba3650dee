"""Production hardening through real Nginx: CSP and HTTPS on misses and hits, no version."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from tests.conftest import running_site
from tests.factories import make_post
from tests.http import fetch

pytestmark = pytest.mark.integration

POLICY_MUST_HAVE = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                    "frame-ancestors 'none'")


@pytest.fixture
def post(stack):
    return make_post("Hardened", tags=["pc"], category="Hardware", slug="hardened")


class TestContentSecurityPolicy:
    @pytest.mark.parametrize("uri", ["/", "/posts/hardened/", "/feed/", "/sitemap.xml", "/api/v1/post/",
                                     "/category/hardware/", "/tag/pc/"])
    def test_every_page_carries_the_same_policy_on_its_miss_and_its_hit(self, stack, post, uri):
        miss = fetch(stack.base_url, uri, host="site.test")
        hit = fetch(stack.base_url, uri, host="site.test")
        assert (miss.status, miss.header("X-Cache"), hit.header("X-Cache")) == (200, "MISS", "HIT"), uri
        policy = miss.header("Content-Security-Policy")
        assert policy and all(part in policy for part in POLICY_MUST_HAVE), policy
        assert hit.headers.get_all("Content-Security-Policy") == [policy]

    def test_pages_django_answers_uncached_carry_it_too(self, stack, post):
        for uri in ("/admin/login/", "/no-such-page/"):
            page = fetch(stack.base_url, uri, host="site.test")
            assert "script-src 'self'" in (page.header("Content-Security-Policy") or ""), uri

    def test_the_page_has_no_inline_script_or_style_the_policy_would_block(self, stack, post):
        page = fetch(stack.base_url, "/posts/hardened/", host="site.test").text
        assert "<script src=" in page and "<script>" not in page and "<style" not in page
        assert " style=" not in page and " onclick=" not in page


class TestNoVersion:
    @pytest.mark.parametrize(("host", "uri"), [("site.test", "/"), ("site.test", "/static/blog/js/site.js"),
                                               ("unknown.example", "/"), ("site.test", "/static/missing.css")])
    def test_no_server_block_names_its_version(self, stack, host, uri):
        answer = fetch(stack.base_url, uri, host=host)
        assert answer.header("Server") == "nginx", (host, uri, answer.header("Server"))
        assert b"1.2" not in answer.body or answer.status == 200  # error pages name no version


TLS_ENVIRONMENT = {
    "SECURE_SSL_REDIRECT": "1", "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1", "SESSION_COOKIE_SECURE": "1", "CSRF_COOKIE_SECURE": "1",
    "PUBLIC_SCHEME": "https",
}
BALANCER = "127.0.0.9"


@pytest.fixture
def tls_site(transactional_db, monkeypatch):
    """deploy/README.md's "TLS at the load balancer", the balancer at 127.0.0.9."""
    for name, value in TLS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)  # the app servers' environment
    monkeypatch.setenv("NGINX_REAL_IP_FROM", BALANCER)
    # Nested strictly, so each override restores exactly what it replaced.
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000,
                           SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True,
                           CACHEKEYS={**settings.CACHEKEYS, "NGINX_REAL_IP_FROM": [BALANCER]}):
        with running_site() as stack, override_settings(
                CACHEKEYS={**settings.CACHEKEYS, "SERVERS": stack.memcached_servers}):
            yield stack


class TestTlsAtTheLoadBalancer:
    def test_plain_http_is_redirected_before_any_cache_lookup(self, tls_site, transactional_db):
        make_post("Hardened", slug="hardened")
        over_https = {"X-Forwarded-Proto": "https"}
        fetch(tls_site.base_url, "/posts/hardened/", host="site.test", source=BALANCER, headers=over_https)
        for source, headers in ((BALANCER, {}), (BALANCER, {"X-Forwarded-Proto": "http"}),
                                ("127.0.0.8", over_https)):  # not the balancer: cannot claim HTTPS
            answer = fetch(tls_site.base_url, "/posts/hardened/", host="site.test", source=source, headers=headers)
            assert (answer.status, answer.header("Location")) == (301, "https://site.test/posts/hardened/")

    def test_https_pages_carry_hsts_on_miss_and_hit_and_cookies_are_secure(self, tls_site, transactional_db):
        make_post("Hardened", slug="hardened")
        over_https = {"X-Forwarded-Proto": "https"}
        miss, hit = (fetch(tls_site.base_url, "/posts/hardened/", host="site.test", source=BALANCER,
                           headers=over_https) for _ in range(2))
        assert (miss.header("X-Cache"), hit.header("X-Cache")) == ("MISS", "HIT")
        hsts = "max-age=31536000; includeSubDomains; preload"
        assert miss.header("Strict-Transport-Security") == hit.header("Strict-Transport-Security") == hsts
        login = fetch(tls_site.base_url, "/admin/login/", host="site.test", source=BALANCER, headers=over_https)
        assert login.status == 200
        assert "Secure" in login.header("Set-Cookie") and "csrftoken=" in login.header("Set-Cookie")
