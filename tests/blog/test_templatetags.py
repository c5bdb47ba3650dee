"""Template tags: covers and sprites must be the same bytes in every process."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from blog.models import Post
from blog.covers import PALETTES as COVER_PALETTES
from blog.templatetags.blog_tags import cover, sprite

PROJECT = Path(__file__).resolve().parents[2]


class TestCoverArt:
    def test_cover_and_sprite_depend_only_on_the_slug(self):
        one, two = Post(slug="same-slug", title="One"), Post(slug="same-slug", title="Two")
        assert cover(one) == cover(two)
        assert sprite(one) == sprite(two)
        assert sprite(one) != sprite(Post(slug="other-slug"))

    def test_covers_use_every_palette(self):
        classes = {cover(Post(slug=f"post-{n}")) for n in range(200)}
        assert classes == {f"cover--{n}" for n in range(COVER_PALETTES)}

    def test_sprite_is_a_mirrored_svg(self):
        svg = str(sprite(Post(slug="space-invaders")))
        assert svg.startswith('<svg class="sprite"') and 'aria-hidden="true"' in svg
        cells = {(int(x), int(y)) for x, y in re.findall(r'<rect x="(\d)" y="(\d)"', svg)}
        assert cells
        assert cells == {(4 - x, y) for x, y in cells}

    def test_same_in_a_process_with_another_hash_seed(self):
        code = (
            "import django; django.setup();"
            "from blog.models import Post; from blog.templatetags.blog_tags import cover, sprite;"
            "p = Post(slug='hash-me'); print(cover(p)); print(sprite(p))"
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONHASHSEED": "12345"}
        result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=env,
                                capture_output=True, text=True, check=True, timeout=60)
        post = Post(slug="hash-me")
        assert result.stdout.splitlines() == [cover(post), str(sprite(post))]
