"""The editors' admin: adding, changing, publishing and finding posts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from blog.models import Category, Post, Tag


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.com", "unused-password")


@pytest.fixture
def staff_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def saved_posts():
    """Record every post_save of a Post, proving actions go through save()."""
    seen: list[Post] = []

    def record(sender, instance, **kwargs):
        seen.append(instance)

    post_save.connect(record, sender=Post, dispatch_uid="test-admin-recorder")
    yield seen
    post_save.disconnect(dispatch_uid="test-admin-recorder", sender=Post)


def form_data(post: Post | None = None, **overrides) -> dict:
    """Return the POST data of the post change form (the admin splits date and time)."""
    when = timezone.localtime(post.published_at) if post else timezone.localtime()
    data = {
        "title": post.title if post else "",
        "slug": post.slug if post else "",
        "body": post.body if post else "",
        "excerpt": post.excerpt if post else "",
        "status": post.status if post else Post.Status.DRAFT,
        "published_at_0": when.strftime("%Y-%m-%d"),
        "published_at_1": when.strftime("%H:%M:%S"),
        "author": post.author_id if post else "",
        "category": post.category_id or "" if post else "",
        "tags": [tag.pk for tag in post.tags.all()] if post else [],
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
class TestPostAdminPages:
    def test_changelist_lists_filters_and_searches(self, staff_client, make_post, games):
        make_post("Published story", category=games)
        make_post("Draft story", status=Post.Status.DRAFT)
        url = reverse("admin:blog_post_changelist")
        response = staff_client.get(url)
        assert response.status_code == 200
        assertContains(response, "Published story")
        assertContains(response, "Draft story")
        filtered = staff_client.get(url, {"status__exact": "draft"})
        assertContains(filtered, "Draft story")
        assertNotContains(filtered, "Published story")
        searched = staff_client.get(url, {"q": "published"})
        assertContains(searched, "Published story")
        assertNotContains(searched, "Draft story")

    def test_changelist_filters_by_tag_author_and_date(self, staff_client, make_post, author):
        make_post("Tagged", tags=["RPG"])
        make_post("Plain")
        url = reverse("admin:blog_post_changelist")
        rpg = Tag.objects.get(slug="rpg")
        assertNotContains(staff_client.get(url, {"tags__id__exact": rpg.pk}), "Plain")
        assertContains(staff_client.get(url, {"author__id__exact": author.pk}), "Tagged")
        year = timezone.now().year
        assertContains(staff_client.get(url, {"published_at__year": year}), "Tagged")

    def test_add_form_prefills_the_author_and_uses_the_tag_selector(self, staff_client, editor):
        response = staff_client.get(reverse("admin:blog_post_add"))
        assert response.status_code == 200
        assert response.context["adminform"].form.initial["author"] == editor.pk
        assertContains(response, "selectfilter")
        assertContains(response, "django-admin-prepopulated-fields-constants")
        assertContains(response, "&quot;#id_slug&quot;, &quot;name&quot;: &quot;slug&quot;, &quot;dependency_ids&quot;: [&quot;#id_title&quot;]")

    def test_non_staff_cannot_get_in(self, client, author):
        client.force_login(author)
        response = client.get(reverse("admin:blog_post_changelist"))
        assert response.status_code == 302


@pytest.mark.django_db
class TestPostAdminEditing:
    def test_add_a_post(self, staff_client, editor, games, saved_posts):
        rpg = Tag.objects.create(name="RPG", slug="rpg")
        data = form_data(
            title="New review", slug="new-review", body="<p>Great game.</p><script>bad()</script>",
            status=Post.Status.PUBLISHED, author=editor.pk, category=games.pk, tags=[rpg.pk],
        )
        response = staff_client.post(reverse("admin:blog_post_add"), data)
        assertRedirects(response, reverse("admin:blog_post_changelist"))
        post = Post.objects.get(slug="new-review")
        assert post.body_html == "<p>Great game.</p>"
        assert post.excerpt == "Great game."
        assert list(post.tags.all()) == [rpg]
        assert post.is_public
        assert saved_posts == [post]

    def test_change_a_post(self, staff_client, make_post):
        post = make_post("Old title", slug="old-title", body="<p>Old body.</p>")
        data = form_data(post, title="New title", body="<h2>New</h2><p>New body.</p>")
        response = staff_client.post(reverse("admin:blog_post_change", args=[post.pk]), data)
        assertRedirects(response, reverse("admin:blog_post_changelist"))
        post.refresh_from_db()
        assert post.title == "New title"
        assert post.body_html == "<h2>New</h2><p>New body.</p>"

    def test_view_on_site_goes_to_the_post(self, staff_client, make_post):
        post = make_post(slug="on-site")
        content_type = ContentType.objects.get_for_model(Post)
        response = staff_client.get(reverse("admin:view_on_site", args=[content_type.pk, post.pk]))
        assert response.status_code == 302
        assert response["Location"] == "http://testserver/posts/on-site/"
        change = staff_client.get(reverse("admin:blog_post_change", args=[post.pk]))
        assertContains(change, reverse("admin:view_on_site", args=[content_type.pk, post.pk]))


@pytest.mark.django_db
class TestPublishActions:
    def run(self, client, action: str, posts: list[Post]):
        return client.post(
            reverse("admin:blog_post_changelist"),
            {"action": action, "_selected_action": [post.pk for post in posts]},
            follow=True,
        )

    def test_publish_makes_drafts_public_through_save(self, staff_client, make_post, saved_posts):
        old_draft = make_post("Old draft", status=Post.Status.DRAFT, ago=timedelta(days=30))
        already = make_post("Already out", ago=timedelta(days=2))
        before = timezone.now()
        saved_posts.clear()
        response = self.run(staff_client, "publish", [old_draft, already])
        assertContains(response, "Published 1 post.")
        old_draft.refresh_from_db()
        assert old_draft.status == Post.Status.PUBLISHED and old_draft.is_public
        # A draft started long ago goes out dated now, at the top of the front page.
        assert old_draft.published_at >= before
        assert [post.pk for post in saved_posts] == [old_draft.pk]
        already.refresh_from_db()
        assert already.published_at < before

    def test_publish_keeps_a_future_date_scheduled(self, staff_client, make_post):
        scheduled = make_post(status=Post.Status.DRAFT, ago=-timedelta(days=3))
        planned = scheduled.published_at
        self.run(staff_client, "publish", [scheduled])
        scheduled.refresh_from_db()
        assert scheduled.status == Post.Status.PUBLISHED
        assert scheduled.published_at == planned
        assert not scheduled.is_public

    def test_unpublish_turns_posts_back_into_drafts(self, staff_client, make_post, saved_posts):
        posts = [make_post(), make_post()]
        saved_posts.clear()
        response = self.run(staff_client, "unpublish", posts)
        assertContains(response, "Unpublished 2 posts.")
        assert not Post.objects.public().exists()
        assert sorted(post.pk for post in saved_posts) == sorted(post.pk for post in posts)


@pytest.mark.django_db
class TestCategoryAndTagAdmin:
    def test_category_changelist_counts_posts(self, staff_client, make_post, games, pc):
        make_post(category=pc)
        response = staff_client.get(reverse("admin:blog_category_changelist"))
        assert response.status_code == 200
        assertContains(response, '<td class="field-post_count">1</td>', html=True)

    def test_add_a_subcategory(self, staff_client, games):
        data = {"name": "Retro", "slug": "retro", "parent": games.pk, "description": ""}
        response = staff_client.post(reverse("admin:blog_category_add"), data)
        assertRedirects(response, reverse("admin:blog_category_changelist"))
        assert Category.objects.get(slug="retro").parent == games

    def test_tag_changelist_and_add(self, staff_client, make_post):
        make_post(tags=["RPG"])
        assertContains(staff_client.get(reverse("admin:blog_tag_changelist")), "RPG")
        response = staff_client.post(reverse("admin:blog_tag_add"), {"name": "Co-op", "slug": "co-op"})
        assertRedirects(response, reverse("admin:blog_tag_changelist"))
        assert Tag.objects.filter(slug="co-op").exists()
