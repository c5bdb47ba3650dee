"""The Content-Security-Policy (site_project/csp.py and the settings) and pages it must not break."""
from __future__ import annotations

import re

import pytest

from site_project.csp import canonical
from tests.factories import make_image, make_post, make_user

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(?!\s*</script>)", re.I)
# JSON data blocks (json_script) are not scripts the policy runs.
DATA_BLOCK = re.compile(r'<script[^>]*type="application/(ld\+)?json"[^>]*>', re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.I)


def test_the_policy_is_spelled_one_way_whatever_the_directive_order():
    assert canonical("script-src 'self'; default-src 'self' ;img-src 'self' data:") == \
        canonical("img-src 'self' data:; default-src 'self'; script-src 'self'") == \
        "default-src 'self'; img-src 'self' data:; script-src 'self'"


def blocked_markup(html: str) -> list[str]:
    scripts = [tag for tag in INLINE_SCRIPT.findall(html) if not DATA_BLOCK.match(tag)]
    return scripts + [f"style attribute: {m}" for m in re.findall(r'<[^>]+\sstyle="[^"]*"', html)] + \
        [f"handler: {m}" for m in INLINE_HANDLER.findall(html)] + re.findall(r"<style[^>]*>", html)


@pytest.mark.django_db
def test_admin_pages_hold_nothing_the_policy_blocks(client):
    editor = make_user("erin", is_staff=True, is_superuser=True)
    client.force_login(editor)
    image = make_image()
    post = make_post("With a cover", cover=image)
    for uri in ("/admin/", "/admin/blog/post/", f"/admin/blog/post/{post.pk}/change/", "/admin/blog/post/add/",
                "/admin/blog/image/", f"/admin/blog/image/{image.pk}/change/", "/admin/axes/accessattempt/"):
        answer = client.get(uri)
        assert answer.status_code == 200, uri
        assert "script-src 'self'" in answer["Content-Security-Policy"], uri
        assert not blocked_markup(answer.content.decode()), (uri, blocked_markup(answer.content.decode()))


@pytest.mark.django_db
def test_reader_pages_hold_nothing_the_policy_blocks(client):
    post = make_post("Plain", tags=["pc"], cover=make_image())
    for uri in ("/", post.get_absolute_url(), "/tag/pc/"):
        answer = client.get(uri)
        assert answer.status_code == 200, uri
        assert not blocked_markup(answer.content.decode()), (uri, blocked_markup(answer.content.decode()))
