"""Lettuce's ``--tag`` rule, as a behave tag expression.

``matches_tags`` is ``Scenario.matches_tags`` from Lettuce 0.2.23 (``lettuce/core.py``),
line for line. ``tags`` is the list of ``--tag`` values, ``None`` when none was given; a
scenario's tags include its feature's (Lettuce extended them, behave calls them
*effective tags*):

1. No ``--tag``: every scenario runs.
2. A scenario without tags is skipped unless some ``--tag`` starts with ``-``.
3. A scenario runs at once if one of its tags is literally one of the ``--tag`` values.
   So several positive tags combine with OR, and a positive match wins over an
   exclusion: ``--tag=a --tag=-b`` runs a scenario tagged ``@a @b``.
4. Otherwise every ``--tag`` must hold (AND): ``x`` that the scenario has ``@x``; ``-x``
   that it has not; ``~x`` that some tag of it is fuzzily like ``x`` (similarity over 80
   of 100); ``-~x`` that some tag of it is *not* like ``x`` (so it never holds for a
   scenario without tags).

behave asks a tag expression only ``check(tags)``; ``LettuceTagExpression`` answers with
the rule above. A cucumber tag expression could not: "the scenario has some tag" and
"some tag is like x" depend on every tag that exists, not on a fixed formula.

The fuzzy ratio is fuzzywuzzy's ``fuzz.ratio`` (which Lettuce used) computed with difflib,
its fallback when python-Levenshtein is absent: 100 for equal strings, 0 when either is
empty, else ``round(100 * SequenceMatcher(None, a, b).ratio())`` rounding halves up.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

FUZZY_THRESHOLD = 80


def fuzz_ratio(one: str, other: str) -> int:
    """Return how alike two strings are, 0 to 100, as fuzzywuzzy's ``fuzz.ratio``."""
    if one == other:
        return 100
    if not one or not other:
        return 0
    # Python 2's round() (which fuzzywuzzy ran on) rounds halves away from zero.
    return int(math.floor(100 * SequenceMatcher(None, one, other).ratio() + 0.5))


def matches_tags(scenario_tags: Iterable[str], tags: Sequence[str] | None) -> bool:
    """Return whether Lettuce would run a scenario with ``scenario_tags`` for ``tags``."""
    if tags is None:
        return True
    own = list(scenario_tags)

    has_exclusionary_tags = any(tag.startswith("-") for tag in tags)
    if not own and not has_exclusionary_tags:
        return False

    for tag in own:
        if tag in tags:
            return True

    matched = []
    for tag in tags:
        exclude = tag.startswith("-")
        if exclude:
            tag = tag[1:]
        fuzzable = tag.startswith("~")
        if fuzzable:
            tag = tag[1:]

        result = tag in own
        if fuzzable:
            if exclude:
                result = any(fuzz_ratio(tag, mine) <= FUZZY_THRESHOLD for mine in own)
            else:
                result = any(fuzz_ratio(tag, mine) > FUZZY_THRESHOLD for mine in own)
        elif exclude:
            result = tag not in own
        matched.append(result)
    return all(matched)


def normalize_tag_options(values: Sequence[str] | None) -> list[str] | None:
    """Turn ``--tag`` values into Lettuce's list: ``None`` when there were none.

    Like the ``lettuce`` command, ``@`` around a value is stripped (``--tag=@slow`` is
    ``--tag=slow``). A tag never contains ``@``, so ``-@slow`` would silently exclude
    nothing: it is refused instead.
    """
    if not values:
        return None
    tags = [value.strip("@") for value in values]
    for original, tag in zip(values, tags):
        if "@" in tag:
            bare = tag.replace("@", "")
            raise ValueError(f"--tag={original}: write tags without '@', e.g. --tag={bare}")
    return tags


class LettuceTagExpression:
    """A behave tag expression (``check(tags)``) that applies Lettuce's rule."""

    def __init__(self, tags: Sequence[str] | None) -> None:
        self.tags = list(tags) if tags is not None else None

    def check(self, tags: Iterable[str]) -> bool:
        return matches_tags(tags, self.tags)

    def to_string(self) -> str:
        if self.tags is None:
            return "(any)"
        return " ".join(f"--tag={tag}" for tag in self.tags)

    __str__ = to_string

    def __repr__(self) -> str:
        return f"LettuceTagExpression({self.tags!r})"
