"""Relative URLs in steps, resolved without behave or Django's test runner."""
from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings

from lettuce import world
from lettuce.urls import resolve_url


def test_relative_urls_go_to_the_site_under_test_and_absolute_ones_stay():
    world.base_url = "http://127.0.0.1:8123/"
    try:
        assert resolve_url("/posts/a/") == "http://127.0.0.1:8123/posts/a/"
        for url in ("https://example.org/", "file:///tmp/page.html", "about:blank"):
            assert resolve_url(url) == url
    finally:
        world.spew("base_url")
    with pytest.raises(AssertionError, match="this run has no server"):
        resolve_url("/")


def test_the_web_steps_need_neither_behave_nor_djangos_test_runner():
    code = ("import sys, lettuce.webdriver, lettuce.django;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'behave'"
            " or m.startswith('django.test')))")
    shown = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "[]"
