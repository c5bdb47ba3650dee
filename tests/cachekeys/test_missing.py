import dataclasses

import pytest

from cachekeys.keys import TrackingParams, page_key
from cachekeys.lookup import KeyRules, lookup
from cachekeys.missing import (
    NO_TOKEN, ROUTED, UNROUTED, address_tag, ensure_token, keepable, kind_of, kinds_purged, token_for, token_key,
)
from cachekeys.policy import Exchange, Rules
from cachekeys.pool import MemcachedPool

RULES = Rules(query_params=frozenset({"page"}), bypass_prefixes=["/admin/"], store_by_default=True)


def exchange(uri: str = "/posts/gone/", **changes) -> Exchange:
    looked = lookup("GET", "site.test", uri, page_key("site.test", uri), KeyRules())
    base = Exchange(lookup=looked, path=uri.split("?")[0], canonical_uri=looked.key_uri, has_session_cookie=False,
                    has_authorization=False, csrf_token_used=False, opted_out=False, opted_in=False, status=404,
                    streaming=False, headers=(("Content-Type", "text/html; charset=utf-8"),), sets_cookie=False,
                    cache_control="", vary="")
    return dataclasses.replace(base, **changes)


class TestKeepable:
    def test_an_anonymous_404_nginx_looked_up(self):
        assert keepable(exchange(), RULES)

    def test_any_spelling_may_be_kept(self):
        assert keepable(exchange(canonical_uri="/elsewhere/"), RULES)

    @pytest.mark.parametrize("changes", [{"status": 200}, {"status": 500}, {"sets_cookie": True},
                                         {"has_session_cookie": True}, {"opted_out": True},
                                         {"cache_control": "private"}, {"path": "/admin/x/"}])
    def test_not_otherwise(self, changes):
        assert not keepable(exchange(**changes), RULES)

    def test_a_junk_spelling_s_redirect_to_its_page(self):
        assert keepable(exchange("/posts/hello/?page=2", status=200, canonical_uri="/posts/hello/"), RULES)

    def test_not_a_redirect_that_carries_tracking_parameters(self):
        tracked = KeyRules(tracking=TrackingParams(["utm_*"]))
        uri = "/posts/hello/?page=2&utm_source=x"
        looked = lookup("GET", "site.test", uri, page_key("site.test", "/posts/hello/?page=2"), tracked)
        assert not keepable(exchange(uri, lookup=looked, status=200, canonical_uri="/posts/hello/"), RULES)

    def test_not_when_nginx_did_not_look_it_up(self):
        assert not keepable(exchange(lookup=lookup("GET", "site.test", None, None, KeyRules())), RULES)


@pytest.fixture
def pool(memcached):
    pool = MemcachedPool([memcached.address], 0.2, 0.2)
    yield pool
    pool.close()


class TestToken:
    def test_made_once_and_kept(self, pool):
        first = ensure_token(pool, "p:")
        assert first and ensure_token(pool, "p:") == first
        assert pool.get(token_key("p:")) == first.encode()

    def test_what_nginx_read_is_named_back(self, pool):
        assert token_for("abc", pool, "") == "abc"
        assert token_for(None, pool, "") is None  # Nginx asked nothing
        made = token_for(NO_TOKEN, pool, "")
        assert made and made == ensure_token(pool, "")

    def test_each_kind_has_its_own(self, pool):
        routed, unrouted = ensure_token(pool, "", ROUTED), ensure_token(pool, "", UNROUTED)
        assert routed and unrouted and routed != unrouted
        assert token_key("", ROUTED) != token_key("", UNROUTED)
        # Nginx reads the routed token only; the unrouted one Django reads itself.
        assert token_for("abc", pool, "", UNROUTED) == unrouted

    def test_memcached_away_keeps_nothing(self, memcached, pool):
        memcached.kill()
        assert ensure_token(pool, "") is None and token_for(NO_TOKEN, pool, "") is None


class TestKinds:
    @pytest.mark.django_db  # a nested page's path is looked up (blog.urls.PagePathConverter)
    @pytest.mark.parametrize("path, kind", [("/posts/no-such-post/", ROUTED), ("/", ROUTED),
                                            ("/2013/06/old-slug/", UNROUTED), ("/xmlrpc.php", UNROUTED)])
    def test_routed_when_a_view_answers_the_path(self, rf, path, kind):
        assert kind_of(rf.get(path)) == kind

    @pytest.mark.django_db
    @pytest.mark.parametrize("uri, kind", [
        ("/?p=123", UNROUTED), ("/?page_id=7", UNROUTED),  # WordPress's old addresses
        ("/?page=zzz", UNROUTED), ("/tag/pc/?page=0", UNROUTED),  # no publish makes them page numbers
        ("/posts/some-post/?page=2", UNROUTED),  # a post has no pages
        ("/?page=99", ROUTED), ("/tag/pc/?page=3", ROUTED), ("/tag/not-yet/", ROUTED),  # content may come
    ])
    def test_a_view_says_which_of_its_404s_last(self, rf, uri, kind):
        assert kind_of(rf.get(uri)) == kind

    def test_every_purge_drops_routed_ones(self):
        assert kinds_purged({"blog.post:1"}) == [ROUTED]

    def test_unrouted_ones_go_with_an_address_or_everything(self):
        assert set(kinds_purged({"blog.post:1", address_tag("/2013/06/old-slug/")})) == {ROUTED, UNROUTED}
        assert set(kinds_purged({"*"})) == {ROUTED, UNROUTED}
