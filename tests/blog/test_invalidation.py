"""blog.invalidation: which tags a change reaches, and that purges run once, after the commit."""
from __future__ import annotations

import dataclasses
import datetime
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from blog import fragments, invalidation, queries, surrogates
from blog.invalidation import Listing, PostState, post_tags
from blog.models import Comment, Post
from cachekeys.records import ALL
from cachekeys.tracking import tracker
from tests.factories import make_category, make_post, make_tag, make_user

WHEN = datetime.datetime(2026, 5, 4, 12, tzinfo=datetime.timezone.utc)
STATE = PostState(
    public=True, year_month=(2026, 5), category_chain=(1, 2), author_id=7,
    tag_ids=frozenset({3}), listing=Listing(WHEN, "Title", "slug", "Excerpt", 2, 2, 7), body_html="<p>a</p>",
)


class TestPostTags:
    @pytest.fixture(autouse=True)
    def rules_alone(self):
        """The rules without the database: section leaders are read from it (tested below)."""
        with mock.patch("blog.invalidation._section_leader_pages", return_value=set()):
            yield

    @pytest.mark.django_db
    def test_a_new_extra_category_is_not_a_body_edit(self):
        moved = dataclasses.replace(STATE, category_chain=(1, 2, 9))
        assert surrogates.category_posts(9) in post_tags(1, STATE, moved)

    def test_invisible_changes_reach_nothing(self):
        draft = dataclasses.replace(STATE, public=False)
        assert post_tags(1, draft, dataclasses.replace(draft, body_html="<p>b</p>")) == set()
        assert post_tags(1, STATE, STATE) == set()

    def test_body_only_reaches_the_posts_own_page(self):
        edited = dataclasses.replace(STATE, body_html="<p>b</p>")
        assert post_tags(1, STATE, edited) == {"blog.post:1:page", surrogates.POSTS_MODIFIED}

    def test_title_reaches_every_page_that_showed_the_post(self):
        renamed = dataclasses.replace(STATE, listing=dataclasses.replace(STATE.listing, title="New"))
        tags = post_tags(1, STATE, renamed)
        assert "blog.post:1" in tags
        assert surrogates.ALL_POSTS not in tags  # it stays in the same lists, in the same place

    def test_publishing_reaches_every_list_it_joins(self):
        with mock.patch("blog.invalidation._neighbour_ids", return_value=[5, 9]):
            tags = post_tags(1, dataclasses.replace(STATE, public=False), STATE)
        assert tags >= {"blog.post:1", surrogates.ALL_POSTS, "blog.posts:category:1", "blog.posts:category:2",
                        "blog.posts:tag:3", "blog.posts:author:7", "blog.posts:month:2026-05",
                        "blog.post:5:page", "blog.post:9:page"}

    def test_moving_category_reaches_old_and_new_lists(self):
        moved = dataclasses.replace(STATE, category_chain=(4,),
                                    listing=dataclasses.replace(STATE.listing, category_id=4))
        with mock.patch("blog.invalidation._neighbour_ids", return_value=[]):
            tags = post_tags(1, STATE, moved)
        assert {"blog.posts:category:1", "blog.posts:category:2", "blog.posts:category:4"} <= tags

    def test_deleting_reaches_the_lists_it_left(self):
        with mock.patch("blog.invalidation._neighbour_ids", return_value=[]):
            tags = post_tags(1, STATE, None)
        assert {"blog.post:1", surrogates.ALL_POSTS, "blog.posts:tag:3"} <= tags


    def test_scheduled_soon_reaches_the_lists_it_will_join_not_every_page(self):
        soon = timezone.now() + datetime.timedelta(minutes=5)
        scheduled = dataclasses.replace(STATE, public=False, scheduled_for=soon)
        with mock.patch("blog.invalidation._neighbour_ids", return_value=[5]):
            tags = post_tags(1, None, scheduled)
        assert ALL not in tags
        assert {surrogates.ALL_POSTS, "blog.posts:category:1", "blog.posts:tag:3", "blog.post:5:page",
                *surrogates.SHARED_LISTS} <= tags

    def test_a_title_edit_reaches_where_the_post_shows_not_its_lists(self):
        renamed = dataclasses.replace(STATE, listing=dataclasses.replace(STATE.listing, title="New"))
        assert post_tags(1, STATE, renamed) == {"blog.post:1", surrogates.POSTS_MODIFIED}


@pytest.mark.django_db
class TestSharedLists:
    def test_the_fingerprints_are_the_shared_lists(self):
        assert set(invalidation.shared_list_fingerprints()) == set(surrogates.SHARED_LISTS)

    def test_every_popular_tag_shown_is_compared(self):
        # The sidebar shows POPULAR_TAGS_SHOWN tags; the 15-versus-12 bug compared fewer.
        for rank in range(queries.POPULAR_TAGS_SHOWN):
            for _ in range(queries.POPULAR_TAGS_SHOWN + 1 - rank):
                make_post(tags=[f"tag{rank:02d}"])
        shown = fragments.sidebar()["tags"]
        assert len(shown) == queries.POPULAR_TAGS_SHOWN
        fingerprint = invalidation.shared_list_fingerprints()[surrogates.POPULAR_TAGS]
        before = fingerprint()
        Post.objects.filter(tags__slug=shown[-1].slug).first().tags.clear()  # the last one shown loses one
        assert fingerprint() != before

    def test_a_publish_reaches_the_section_leaders_pages_only(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):  # these purges run here, apart
            pc = make_category("PC", parent=make_category("Games"))
            posts = [make_post(category=pc, ago=datetime.timedelta(days=day)) for day in range(1, 6)]
            fresh = make_post(category=pc, status=Post.Status.DRAFT)
        with mock.patch("cachekeys.tracking.purge_tags") as purge, \
                django_capture_on_commit_callbacks(execute=True):
            fresh.status = Post.Status.PUBLISHED
            fresh.save()
        tags = purge.call_args.args[0]
        leaders = {surrogates.post_page(post.pk) for post in [fresh, *posts][:queries.RELATED_SHOWN]}
        assert leaders <= tags
        assert not {surrogates.post_page(post.pk) for post in posts[queries.RELATED_SHOWN:]} & tags


@pytest.mark.django_db(transaction=True)
class TestPurgeAfterCommit:
    def test_save_then_tags_in_one_transaction_is_one_purge_of_both(self, purged):
        post = make_post("Tagged", tags=["pc"])
        new_tag = make_tag("console")

        def admin_like_save():
            with transaction.atomic():
                post.title = "Tagged again"
                post.save()
                post.tags.set([new_tag])

        [tags] = purged(admin_like_save)
        assert {f"blog.post:{post.pk}", surrogates.tag_posts(new_tag.pk),
                surrogates.tag_posts(make_tag("pc").pk)} <= tags

    def test_tag_change_alone_fires_m2m_and_purges(self, purged):
        post = make_post("M2M", tags=["pc"])
        retro = make_tag("retro")
        [tags] = purged(lambda: post.tags.add(retro))
        assert surrogates.tag_posts(retro.pk) in tags

    def test_an_extra_category_purges_its_lists(self, purged):
        post = make_post("Two sections", category="News")
        reviews = make_category("Reviews", parent=make_category("Culture"))
        [tags] = purged(lambda: post.extra_categories.add(reviews))
        assert surrogates.category_posts(reviews.pk) in tags
        assert surrogates.category_posts(reviews.parent_id) in tags
        assert f"blog.post:{post.pk}" in tags

    def test_making_a_post_sticky_purges_the_home_page(self, purged):
        post = make_post("Pinned")
        post.sticky = True
        [tags] = purged(post.save)
        assert surrogates.ALL_POSTS in tags

    def test_reverse_m2m_clear_purges_the_posts(self, purged):
        post = make_post("Reverse", tags=["pc"])
        tag = make_tag("pc")
        [tags] = purged(lambda: tag.posts.clear())
        assert f"blog.post:{post.pk}" in tags

    def test_reverse_foreign_key_clear_purges_the_section_they_left(self, purged):
        reviews = make_category("Reviews")
        posts = [make_post(f"Filed {n}", category=reviews) for n in range(2)]
        [tags] = purged(lambda: reviews.posts.clear())  # one UPDATE ... SET category_id = NULL
        assert surrogates.category_posts(reviews.pk) in tags
        assert {f"blog.post:{post.pk}" for post in posts} <= tags

    def test_queryset_update_purges_like_a_save(self, purged):
        news, games = make_category("News"), make_category("Games")
        post = make_post("Moved by update", category=news)
        [tags] = purged(lambda: Post.objects.filter(pk=post.pk).update(category=games))
        assert {surrogates.category_posts(news.pk), surrogates.category_posts(games.pk)} <= tags
        assert purged(lambda: Post.objects.filter(pk=post.pk).update(category=games)) == []  # no change
        renamed = make_tag("pc")
        post.tags.add(renamed)
        [tags] = purged(lambda: type(renamed).objects.filter(pk=renamed.pk).update(name="PC games"))
        assert f"blog.tag:{renamed.pk}" in tags

    def test_an_update_while_paused_reads_nothing_more(self, purged, django_assert_num_queries):
        post = make_post("Imported")
        with tracker.paused(), django_assert_num_queries(1):
            Comment.objects.filter(post=post).update(body="x")  # no one listens: the UPDATE alone

    def test_an_update_in_a_transaction_purges_after_the_commit(self, purged):
        post = make_post("Later")

        def update_then_fail():
            with pytest.raises(RuntimeError), transaction.atomic():
                Post.objects.filter(pk=post.pk).update(title="Never shown")
                raise RuntimeError

        assert purged(update_then_fail) == []

    def test_rolled_back_change_purges_nothing_then(self, purged):
        post = make_post("Rollback")

        def rolled_back():
            with pytest.raises(RuntimeError), transaction.atomic():
                post.title = "Never"
                post.save()
                raise RuntimeError

        assert purged(rolled_back) == []

    def test_drafts_purge_nothing(self, purged):
        draft = make_post("Draft", status=Post.Status.DRAFT)
        draft.body = "<p>still a draft</p>"
        assert purged(draft.save) == []

    def test_login_does_not_purge_bylines(self, purged):
        author = make_user("byline")
        make_post("By them", author=author)
        author.last_login = WHEN
        assert purged(author.save) == []
        author.first_name = "Renamed"
        [tags] = purged(author.save)
        assert f"auth.user:{author.pk}" in tags

    def test_sidebar_lists_purged_only_when_they_change(self, purged):
        make_post("Newest", ago=datetime.timedelta(hours=1))
        old = make_post("Ancient", ago=datetime.timedelta(days=3000))
        old.body = "<p>new body</p>"
        [tags] = purged(old.save)
        assert surrogates.LATEST_POSTS not in tags and surrogates.POPULAR_TAGS not in tags
        [tags] = purged(transaction.atomic()(lambda: make_post("Brand new", tags=["fresh"])))
        assert {surrogates.LATEST_POSTS, surrogates.POPULAR_TAGS} <= tags

    def test_a_failed_purge_never_fails_the_save(self):
        post = make_post("Resilient")
        post.title = "Resilient still"
        with mock.patch("cachekeys.tracking.purge_tags", side_effect=OSError("down")):
            post.save()
        assert Post.objects.get(pk=post.pk).title == "Resilient still"

    def test_paused_tracking_purges_nothing(self, purged):
        with tracker.paused():
            assert purged(lambda: make_post("Imported")) == []

    def test_category_parent_change_reaches_both_chains(self, purged):
        games, hardware = make_category("Games"), make_category("Hardware")
        pc = make_category("PC", parent=games)
        pc.parent = hardware
        [tags] = purged(pc.save)
        assert {surrogates.category_posts(games.pk), surrogates.category_posts(hardware.pk),
                surrogates.category_posts(pc.pk)} <= tags


@pytest.mark.django_db
class TestOnCommitOrdering:
    def test_nothing_is_purged_before_the_commit(self, django_capture_on_commit_callbacks):
        post = make_post("Before", tags=["pc"])
        with mock.patch("cachekeys.tracking.purge_tags") as purge:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                post.title = "After"
                post.save()
                post.tags.add(make_tag("later"))
            assert purge.call_count == 0 and callbacks
            for callback in callbacks:
                callback()
        assert purge.call_count == 1
        tags = purge.call_args.args[0]
        assert f"blog.post:{post.pk}" in tags and surrogates.tag_posts(make_tag("later").pk) in tags


class TestExpiryCap:
    @pytest.mark.django_db
    def test_until_the_next_scheduled_post(self):
        assert invalidation.seconds_until_next_publication() is None
        make_post("Soon", ago=-datetime.timedelta(seconds=90))
        assert 85 <= invalidation.seconds_until_next_publication() <= 92


@pytest.mark.django_db
def test_purge_posts_reaches_every_category_a_post_is_in():
    post = make_post("Imported", category="News")
    reviews = make_category("Reviews", parent=make_category("Culture"))
    post.extra_categories.add(reviews)
    with mock.patch("blog.invalidation.purge_tags") as purge:
        invalidation.purge_posts([post.pk])
    tags = purge.call_args.args[0]
    assert {surrogates.category_posts(pk) for pk in (post.category_id, reviews.pk, reviews.parent_id)} <= tags
