"""The durable record of what is cached where, kept in the database (memcached evicts).

``CachedPage`` and ``PageTag`` say which surrogate keys each stored page showed, so a
purge by tag finds every URL variant on every host. ``PurgeEvent`` lets a render that
started before a purge see it and not store its stale page. ``PendingDelete`` keeps the
deletes a down memcached node missed until they succeed.
"""
from __future__ import annotations

from django.db import models


class CachedPage(models.Model):
    key = models.CharField(max_length=32, primary_key=True)
    host = models.CharField(max_length=255)
    uri = models.TextField()
    stored_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["host", "uri"]

    def __str__(self) -> str:
        return f"{self.host}{self.uri}"

    @property
    def url(self) -> str:
        return f"//{self.host}{self.uri}"


class PageTag(models.Model):
    page = models.ForeignKey(CachedPage, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(max_length=200, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "tag"], name="cachekeys_page_tag_unique")]

    def __str__(self) -> str:
        return self.tag


class PurgeSequence(models.Model):
    """One row, bumped under a row lock by every purge: purges are numbered in commit order.

    (An auto-increment id is not: PostgreSQL hands ids out before commit, so a render
    could read a higher id while a lower one is still invisible.)
    """

    value = models.BigIntegerField(default=0)


class PurgeEvent(models.Model):
    sequence = models.BigIntegerField(db_index=True)
    tag = models.CharField(max_length=200, db_index=True)  # "*" purges everything
    created_at = models.DateTimeField(db_index=True)


class PendingDelete(models.Model):
    server = models.CharField(max_length=255)
    key = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["server", "key"], name="cachekeys_pending_unique")]
