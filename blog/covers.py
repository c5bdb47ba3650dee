"""Cover art drawn from a post's slug: a palette and a mirrored pixel sprite.

Posts have no pictures of their own, so each card gets a cover computed from its slug,
the same in every process. The pages print it as SVG (``blog_tags.sprite``) and the API
gives the same cells as data (``blog.api.resources.cover_art``) for the script that
draws the cards it appends.
"""
from __future__ import annotations

import hashlib
import zlib

# Number of cover palettes in site.css (.cover--0 to .cover--7).
PALETTES = 8
# Sprites are 5x5 pixel invaders, mirrored left to right like the arcade originals.
SIZE = 5
VIEW_BOX = f"-0.5 -0.5 {SIZE + 1} {SIZE + 1}"
# A hair over one unit, so neighbouring cells overlap instead of showing a seam.
CELL = "1.05"


def palette(slug: str) -> str:
    """Return the cover palette class for a slug."""
    # crc32, not hash(): str hashes are salted per process and the page bytes must not vary.
    return f"cover--{zlib.crc32(slug.encode()) % PALETTES}"


def sprite_cells(slug: str) -> list[tuple[int, int]]:
    """Return the lit cells ``(x, y)`` of the slug's sprite, row by row."""
    half = (SIZE + 1) // 2
    digest = int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big")
    mask = (1 << SIZE * half) - 1
    a, b, c = (digest >> shift & mask for shift in (0, 16, 32))
    # About five cells in eight lit: sparser reads as noise, denser as a block.
    bits = a | (b & c)
    cells: list[tuple[int, int]] = []
    for row in range(SIZE):
        for col in range(half):
            if bits >> (row * half + col) & 1:
                cells.extend((x, row) for x in sorted({col, SIZE - 1 - col}))
    return cells


def sprite_svg(slug: str) -> str:
    """Return the sprite as SVG, built only from integers (never from the slug's text)."""
    rects = "".join(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}"/>' for x, y in sprite_cells(slug))
    return f'<svg class="sprite" viewBox="{VIEW_BOX}" aria-hidden="true" focusable="false">{rects}</svg>'
