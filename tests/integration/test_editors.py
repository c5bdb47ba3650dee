"""Logged-in editors through Nginx: never served, and never writing, a shared page."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

from cachekeys.keys import page_key
from cachekeys.store import get_pool
from tests.factories import make_post
from tests.http import fetch

pytestmark = pytest.mark.integration


def log_in(base_url: str, username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = browser.open(f"{base_url}/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrfmiddlewaretoken": token, "next": "/admin/"}).encode()
    # A browser sends Origin with the port: Django's CSRF check must see the same host.
    browser.open(urllib.request.Request(f"{base_url}/admin/login/", data=data,
                                        headers={"Referer": f"{base_url}/admin/login/", "Origin": base_url}))
    assert any(cookie.name == "sessionid" for cookie in jar), "login failed"
    return browser


class TestEditors:
    def test_editor_sees_django_not_the_cache_and_stores_nothing(self, stack, django_user_model):
        django_user_model.objects.create_user("ed", password="s3cret-pass", is_staff=True,
                                              is_superuser=True)
        make_post("Front page story", slug="front")
        editor = log_in(stack.base_url, "ed", "s3cret-pass")

        first = editor.open(f"{stack.base_url}/")
        assert first.headers["X-Cache"] == "BYPASS"
        assert get_pool().get(page_key("127.0.0.1", "/")) is None

        reader_miss = fetch(stack.base_url, "/")
        reader_hit = fetch(stack.base_url, "/")
        assert (reader_miss.header("X-Cache"), reader_hit.header("X-Cache")) == ("MISS", "HIT")
        again = editor.open(f"{stack.base_url}/")
        assert again.headers["X-Cache"] == "BYPASS"

    def test_wrong_password_through_nginx_is_a_form_error(self, stack, django_user_model):
        django_user_model.objects.create_user("ed", password="s3cret-pass", is_staff=True)
        with pytest.raises(AssertionError, match="login failed"):
            log_in(stack.base_url, "ed", "wrong")

    def test_admin_is_never_cached(self, stack):
        for _ in range(2):
            page = fetch(stack.base_url, "/admin/login/")
            assert page.status == 200 and page.header("X-Cache") == "BYPASS"
