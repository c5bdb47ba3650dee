"""Pages and comments store safe HTML; a post may have a cover photo."""
from __future__ import annotations

import pytest

from blog.models import Comment, Page

pytestmark = pytest.mark.django_db


class TestPage:
    def test_body_is_sanitised_on_save(self):
        page = Page.objects.create(title="About", slug="about", body='<p>Hi<script>x()</script></p>')
        assert page.body_html == "<p>Hi</p>"


class TestComment:
    def test_plain_text_becomes_paragraphs_and_markup_is_limited(self, make_post):
        comment = Comment.objects.create(
            post=make_post(), author_name="Bo", author_email="bo@example.com",
            body='First line\nsecond <img src=x onerror=alert(1)>\n\n<a href="javascript:x">js</a> '
                 '<a href="https://example.com/">ok</a>',
        )
        assert comment.status == Comment.Status.PENDING
        assert "<img" not in comment.body_html and "javascript" not in comment.body_html
        assert comment.body_html.startswith("<p>First line<br>second")
        assert 'rel="nofollow ugc noopener noreferrer"' in comment.body_html
