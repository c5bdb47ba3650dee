"""Strict reading of the API's query strings.

Strict on purpose, as ``blog.views.paginate`` is: ``int()`` would also accept ``"01"``,
``" 1"`` and ``"+1"``, and each spelling is a distinct cache key for the same answer.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from django.http import QueryDict
from tastypie.exceptions import BadRequest

# Nine digits: far beyond any real offset, short enough never to overflow a database int.
_COUNT = re.compile(r"0|[1-9][0-9]{0,8}")
_ID = re.compile(r"[1-9][0-9]{0,17}")
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,200}")  # SlugField's alphabet and the models' max_length


def check_params(query: QueryDict, allowed: Iterable[str]) -> None:
    """Raise ``BadRequest`` for a parameter outside ``allowed``, or one given twice."""
    allowed = sorted(allowed)
    unknown = sorted(set(query) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) if allowed else "none"
        raise BadRequest(f"Unknown parameter {unknown[0]}. Accepted here: {accepted}.")
    repeated = sorted(name for name, values in query.lists() if len(values) > 1)
    if repeated:
        raise BadRequest(f"Give the parameter {repeated[0]} once.")


def parse_count(name: str, raw: str) -> int:
    """Return ``raw`` as a whole number of at least 0, written without sign or leading 0."""
    if not _COUNT.fullmatch(raw):
        raise BadRequest(f"The parameter {name} must be a whole number, 0 or more.")
    return int(raw)


def parse_id(name: str, raw: str) -> int:
    """Return ``raw`` as a database id: a whole number from 1."""
    if not _ID.fullmatch(raw):
        raise BadRequest(f"The parameter {name} must be an id, a whole number from 1.")
    return int(raw)


def parse_slug(name: str, raw: str) -> str:
    """Return ``raw`` if it could be a slug (letters, digits, hyphens, underscores)."""
    if not _SLUG.fullmatch(raw):
        raise BadRequest(f"The parameter {name} must be a slug: letters, digits, - and _.")
    return raw
