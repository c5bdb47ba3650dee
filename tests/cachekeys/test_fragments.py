"""cachekeys.fragments: when a page leaves shared parts to Nginx, and how it names them."""
from __future__ import annotations

import pytest
from django.test import RequestFactory

from cachekeys.fragments import assembled_by_nginx, fragment_path, include_directive

rf = RequestFactory()


class TestAssembledByNginx:
    def test_only_nginx_s_value_counts(self):
        assert assembled_by_nginx(rf.get("/", headers={"X-Cache-Fragments": "ssi"}))
        assert not assembled_by_nginx(rf.get("/"))
        assert not assembled_by_nginx(rf.get("/", headers={"X-Cache-Fragments": "SSI "}))
        assert not assembled_by_nginx(None)  # rendered outside a request


class TestFragmentPath:
    def test_name_and_variant_parts(self):
        assert fragment_path("sidebar") == "/_fragments/sidebar/"
        assert fragment_path("sections", ("section", "pc")) == "/_fragments/sections/section/pc/"

    @pytest.mark.parametrize("part", ["", "a/b", 'x" -->', "a b", "é", "-lead", "a" * 201, "..", "a?b"])
    def test_a_part_that_could_break_the_url_or_directive_is_refused(self, part):
        assert fragment_path("related", ("games", part)) is None
        assert fragment_path(part) is None

    def test_the_directive_nginx_reads(self):
        assert include_directive("/_fragments/footer/") == '<!--# include virtual="/_fragments/footer/" wait="yes" -->'
