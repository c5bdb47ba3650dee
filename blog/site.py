"""The site's names: what the magazine is called and how it names its writers.

The pages, the feed, the admin and the API print these; they live here so none of those
has to import another's module for a string.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

SITE_NAME = "Respawn"
SITE_TAGLINE = "Games, hardware and the culture around them"


def display_name(user: AbstractBaseUser) -> str:
    """Return the name a byline shows: the full name, else the username."""
    return user.get_full_name().strip() or user.get_username()
