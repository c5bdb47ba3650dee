"""Comments: a submission waits for moderation, abuse is refused, approval reaches the pages."""
from __future__ import annotations

import json

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from blog import comments
from blog.models import Comment, Post
from tests.factories import make_post

pytestmark = pytest.mark.django_db

GOOD = {"author_name": "Rin", "author_email": "rin@example.com", "author_url": "", "body": "Great read!"}


def api(client, **fields):
    return client.post("/api/v1/comment/", json.dumps(fields), content_type="application/json")


@pytest.fixture
def post():
    return make_post("Commented story", slug="commented")


def approve(comment: Comment) -> Comment:
    comment.status = Comment.Status.APPROVED
    comment.save()
    return comment


class TestPlainForm:
    def test_a_comment_waits_for_moderation_and_only_its_author_sees_it(self, client, post):
        answer = client.post("/posts/commented/", GOOD)
        assert answer.status_code == 200
        assertContains(answer, "awaiting moderation")
        assertContains(answer, "Great read!")
        comment = Comment.objects.get()
        assert comment.status == Comment.Status.PENDING and comment.ip == "127.0.0.1"
        assertNotContains(client.get("/posts/commented/"), "Great read!")

    def test_errors_are_shown_with_what_was_typed(self, client, post):
        answer = client.post("/posts/commented/", {**GOOD, "author_email": "not-an-email", "body": "Kept text"})
        assert answer.status_code == 400
        assertContains(answer, "Enter a valid email address.", status_code=400)
        assertContains(answer, "Kept text", status_code=400)
        assert not Comment.objects.exists()

    def test_the_cached_page_holds_no_token_and_no_email(self, client, post):
        approve(Comment.objects.create(post=post, author_name="Ann", author_email="ann@secret.example", body="Hi"))
        page = client.get("/posts/commented/")
        assertNotContains(page, "csrfmiddlewaretoken")
        assertNotContains(page, "ann@secret.example")
        assert "Set-Cookie" not in page.headers and not page.cookies


class TestApi:
    def test_created_pending_with_a_key_only_the_author_holds(self, client, post):
        answer = api(client, post=post.pk, **GOOD)
        assert answer.status_code == 201
        data = answer.json()
        assert data["status"] == "pending" and data["key"] and "author_email" not in data
        mine = client.get(f"/api/v1/comment/{data['id']}/?key={data['key']}")
        assert mine.status_code == 200 and mine.json()["status"] == "pending"
        assert mine.headers["Cache-Control"].startswith("max-age=0")
        assert client.get(f"/api/v1/comment/{data['id']}/?key=guess").status_code == 404
        assert client.get(f"/api/v1/comment/{data['id']}/").status_code == 404

    @pytest.mark.parametrize("fields, field", [
        ({"body": ""}, "body"),
        ({"body": "x" * (comments.MAX_LENGTH + 1)}, "body"),
        ({"body": "see http://a.example http://b.example http://c.example"}, "body"),
        ({"author_name": "   "}, "author_name"),
        ({"author_url": "javascript:alert(1)"}, "author_url"),
        ({"parent": "999999"}, "parent"),
    ])
    def test_bad_submissions_get_a_clear_400(self, client, post, fields, field):
        answer = api(client, post=post.pk, **{**GOOD, **fields})
        assert answer.status_code == 400
        assert field in answer.json()["fields"] and answer.json()["error"]
        assert not Comment.objects.exists()

    @pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"post": "abc"}', b'{"post": 99999999999999999999999}'])
    def test_junk_never_500s(self, client, post, payload):
        answer = client.post("/api/v1/comment/", payload, content_type="application/json")
        assert answer.status_code == 400

    def test_drafts_cannot_be_commented(self, client):
        draft = make_post("Draft", status=Post.Status.DRAFT)
        assert api(client, post=draft.pk, **GOOD).status_code == 400

    def test_honeypot_looks_like_success_and_stores_nothing(self, client, post):
        answer = api(client, post=post.pk, website="http://spam.example", **GOOD)
        assert answer.status_code == 201 and "id" not in answer.json()
        assert not Comment.objects.exists()

    def test_rate_limit_per_address(self, client, post, settings):
        settings.COMMENT_RATE = "3/10m"
        codes = [api(client, post=post.pk, **GOOD).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        other = client.post("/api/v1/comment/", json.dumps({"post": post.pk, **GOOD}),
                            content_type="application/json", HTTP_X_REAL_IP="203.0.113.9")  # as Nginx names it
        assert other.status_code == 201
        assert Comment.objects.filter(ip="203.0.113.9").count() == 1

    def test_only_post_is_allowed(self, client):
        assert client.get("/api/v1/comment/").status_code == 405


class TestThread:
    def test_approved_comments_threaded_with_counts(self, client, post):
        first = approve(Comment.objects.create(post=post, author_name="Ann", author_email="a@x.io", body="First"))
        approve(Comment.objects.create(post=post, parent=first, author_name="Bob", author_email="b@x.io",
                                       body="An answer <script>alert(1)</script>"))
        Comment.objects.create(post=post, author_name="Eve", author_email="e@x.io", body="Pending one")
        page = client.get("/posts/commented/").content.decode()
        assert "2 comments" in page and "Pending one" not in page and "<script>alert" not in page
        assert page.index("First") < page.index("comment-list--replies") < page.index("An answer")
        assertContains(client.get("/"), "2 comments")

    def test_deep_replies_stop_indenting(self, post):
        parent = None
        for depth in range(comments.MAX_DEPTH + 3):
            parent = approve(Comment.objects.create(post=post, parent=parent, author_name=f"n{depth}",
                                                    author_email="x@x.io", body=str(depth)))
        def depths(nodes):
            return [d for node in nodes for d in [node.depth, *depths(node.replies)]]
        thread = comments.approved_thread(post)
        assert max(depths(thread)) == comments.MAX_DEPTH and comments.count_of(thread) == comments.MAX_DEPTH + 3


@pytest.mark.django_db(transaction=True)
class TestPurges:
    def test_pending_and_spam_reach_nothing_approval_reaches_thread_and_cards(self, purged):
        post = make_post("P")
        comment = Comment.objects.create(post=post, author_name="A", author_email="a@x.io", body="x")
        comment.status = Comment.Status.SPAM
        assert purged(comment.save) == []
        comment.status = Comment.Status.APPROVED
        [tags] = purged(comment.save)
        assert tags == {comments.thread_of(post.pk), comments.count_of_post(post.pk)}
        comment.body = "edited"
        [tags] = purged(comment.save)
        assert tags == {comments.thread_of(post.pk)}
        [tags] = purged(comment.delete)
        assert tags == {comments.thread_of(post.pk), comments.count_of_post(post.pk)}

    def test_approved_by_queryset_update_purges_like_a_save(self, purged):
        post = make_post("P")
        Comment.objects.create(post=post, author_name="A", author_email="a@x.io", body="x")
        waiting = Comment.objects.filter(status=Comment.Status.PENDING)
        [tags] = purged(lambda: waiting.update(status=Comment.Status.APPROVED))
        assert tags == {comments.thread_of(post.pk), comments.count_of_post(post.pk)}

    def test_admin_approve_action(self, purged, client, django_user_model):
        client.force_login(django_user_model.objects.create_superuser("ed", "e@x.io", "pw-unused"))
        post = make_post("P")
        comment = Comment.objects.create(post=post, author_name="A", author_email="a@x.io", body="x")
        listing = client.get(reverse("admin:blog_comment_changelist"))
        assertContains(listing, "1 awaiting moderation")
        calls = purged(lambda: client.post(reverse("admin:blog_comment_changelist"), {
            "action": "approve", "_selected_action": [comment.pk]}))
        assert Comment.objects.get().status == Comment.Status.APPROVED
        assert calls and comments.thread_of(post.pk) in calls[0]
