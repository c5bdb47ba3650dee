"""Admin login throttling (django-axes) through real Nginx and gunicorn.

Each client connects from its own loopback address (127.0.0.2, 127.0.0.3...), so Nginx
sees distinct readers exactly as it would on the internet.
"""
from __future__ import annotations

import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings

from tests.conftest import running_site
from tests.http import Response, fetch

pytestmark = pytest.mark.integration

PASSWORD = "right-horse-battery"
LIMIT = settings.AXES_FAILURE_LIMIT


def log_in(base_url: str, username: str, password: str, source: str,
           headers: dict[str, str] | None = None) -> Response:
    """One browser's login: the form (CSRF cookie and token), then the POST."""
    form = fetch(base_url, "/admin/login/", host="site.test", source=source, headers=headers)
    assert form.status == 200, form.status
    cookie = cookies(form)["csrftoken"].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token,
                      "next": "/admin/"}).encode()
    return fetch(base_url, "/admin/login/", method="POST", host="site.test", source=source, body=body,
                 headers={**(headers or {}), "Cookie": f"csrftoken={cookie}",
                          "Content-Type": "application/x-www-form-urlencoded"})


def cookies(response: Response) -> SimpleCookie:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return jar


def logged_in(response: Response) -> bool:
    return response.status == 302 and response.header("Location") == "/admin/" and "sessionid" in cookies(response)


def refused(response: Response) -> bool:
    return response.status == 429 and "Too many failed logins" in response.text


@pytest.fixture
def editors(stack, django_user_model):
    for name in ("ed", "flo", "gus"):
        django_user_model.objects.create_user(name, password=PASSWORD, is_staff=True, is_superuser=True)


class TestLockout:
    def test_failures_from_one_address_lock_it_out_with_a_clear_message(self, stack, editors):
        for attempt in range(LIMIT - 1):
            failed = log_in(stack.base_url, f"nobody{attempt}", "wrong", source="127.0.0.2")
            assert failed.status == 200 and "Please enter the correct username" in failed.text, attempt
        # The failure that reaches the limit is answered with the lockout already.
        assert refused(log_in(stack.base_url, "nobody", "wrong", source="127.0.0.2"))
        # Further attempts are refused, even with a right password for a real account.
        locked = log_in(stack.base_url, "ed", PASSWORD, source="127.0.0.2")
        assert refused(locked), (locked.status, locked.text[:300])
        assert f"After {LIMIT} failed attempts" in locked.text
        assert "refused for 15 minutes" in " ".join(locked.text.split())
        # One client cannot lock out everyone: another reader logs in at once.
        assert logged_in(log_in(stack.base_url, "flo", PASSWORD, source="127.0.0.3"))

    def test_failures_for_one_username_lock_that_username_from_anywhere(self, stack, editors):
        for attempt in range(LIMIT):
            log_in(stack.base_url, "ed", "wrong", source=f"127.0.1.{attempt + 1}")
        assert refused(log_in(stack.base_url, "ed", PASSWORD, source="127.0.2.1"))
        assert logged_in(log_in(stack.base_url, "gus", PASSWORD, source="127.0.2.1"))

    def test_a_client_cannot_spoof_its_way_around_its_lockout(self, stack, editors):
        for attempt in range(LIMIT):
            log_in(stack.base_url, f"nobody{attempt}", "wrong", source="127.0.0.4")
        for spoof in ({"X-Real-IP": "203.0.113.9"}, {"X-Forwarded-For": "203.0.113.9"},
                      {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9, 198.51.100.1"}):
            assert refused(log_in(stack.base_url, "flo", PASSWORD, source="127.0.0.4", headers=spoof)), spoof
        recorded = set(AccessAttempt.objects.values_list("ip_address", flat=True))
        assert recorded == {"127.0.0.4"}  # never Nginx's 127.0.0.1, never a spoofed one

    def test_a_successful_login_resets_the_failures(self, stack, editors):
        for _ in range(LIMIT - 1):
            log_in(stack.base_url, "ed", "wrong", source="127.0.0.5")
        assert logged_in(log_in(stack.base_url, "ed", PASSWORD, source="127.0.0.5"))
        for _ in range(LIMIT - 1):
            log_in(stack.base_url, "ed", "wrong", source="127.0.0.5")
        assert logged_in(log_in(stack.base_url, "ed", PASSWORD, source="127.0.0.5"))

    def test_lockouts_are_listed_in_the_admin(self, stack, editors):
        for attempt in range(LIMIT):
            log_in(stack.base_url, "intruder", "wrong", source="127.0.0.6")
        admin = log_in(stack.base_url, "flo", PASSWORD, source="127.0.0.7")
        session = cookies(admin)["sessionid"].value
        listing = fetch(stack.base_url, "/admin/axes/accessattempt/", host="site.test", source="127.0.0.7",
                        headers={"Cookie": f"sessionid={session}"})
        assert listing.status == 200
        assert "intruder" in listing.text and "127.0.0.6" in listing.text


class TestBehindALoadBalancer:
    def test_the_client_is_the_one_a_listed_balancer_names_and_nobody_else_can(self, transactional_db):
        with override_settings(CACHEKEYS={**settings.CACHEKEYS, "NGINX_REAL_IP_FROM": ["127.0.0.9"]}), \
                running_site() as stack:
            self.attempt_through(stack)

    @staticmethod
    def attempt_through(stack) -> None:
        forwarded = {"X-Forwarded-For": "203.0.113.7"}
        log_in(stack.base_url, "a", "wrong", source="127.0.0.9", headers=forwarded)  # the balancer
        log_in(stack.base_url, "b", "wrong", source="127.0.0.8", headers=forwarded)  # not one
        recorded = dict(AccessAttempt.objects.values_list("username", "ip_address"))
        assert recorded == {"a": "203.0.113.7", "b": "127.0.0.8"}
