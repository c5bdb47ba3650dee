"""A post scheduled for later appears on its own, with no save at its time."""
from __future__ import annotations

import datetime
import time

import pytest

from tests.factories import make_post
from tests.http import fetch

pytestmark = pytest.mark.integration


class TestScheduledPost:
    @pytest.mark.parametrize("cached_before_scheduling", [False, True])
    def test_appears_on_cached_pages_when_its_time_comes(self, stack, cached_before_scheduling):
        make_post("Already out", slug="already-out")
        if cached_before_scheduling:  # stored for the full TIMEOUT, then the post is scheduled
            fetch(stack.base_url, "/", host="site.test")
        make_post("Coming soon", slug="coming-soon", ago=-datetime.timedelta(seconds=3))
        fetch(stack.base_url, "/", host="site.test")
        cached = fetch(stack.base_url, "/", host="site.test")
        assert cached.header("X-Cache") == "HIT" and b"Coming soon" not in cached.body

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            page = fetch(stack.base_url, "/", host="site.test")
            if b"Coming soon" in page.body:
                break
            time.sleep(0.5)
        assert b"Coming soon" in page.body
        assert fetch(stack.base_url, "/posts/coming-soon/", host="site.test").status == 200
