"""Turn saves into purges: compare what changed, purge once after the commit.

An app registers, per model, how to read an object's visible state and which tags a change
from one state to another reaches (:meth:`Tracker.watch`), and, per small global list
shown on many pages (a sidebar), how to fingerprint it (:meth:`Tracker.watch_list`).
The first change to an object in a transaction records its old state (and the lists'
fingerprints); when the transaction commits, the new states are read and the union of
all tags is purged in one go. The admin saves a post, then its tags, in one atomic
block: both land in the same comparison, after both are saved.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal

from cachekeys.purge import PurgeReport, purge_quietly, purge_tags

StateReader = Callable[[object], Hashable | None]  # pk -> state, None when gone
TagRule = Callable[[object, Hashable | None, Hashable | None], set[str]]


@dataclass
class _Watched:
    state: StateReader
    tags: TagRule


@dataclass
class _Changes:
    old: dict[tuple[type, object], Hashable | None] = field(default_factory=dict)
    lists_before: dict[str, Hashable] | None = None


class Tracker:
    def __init__(self) -> None:
        self._models: dict[type, _Watched] = {}
        self._lists: dict[str, Callable[[], Hashable]] = {}
        self._local = threading.local()
        self.last_report: PurgeReport | None = None

    # -- registration ---------------------------------------------------------------
    def watch(self, model: type[models.Model], state: StateReader, tags: TagRule,
              m2m: Iterable[models.Field] = ()) -> None:
        """Purge ``tags(pk, old, new)`` whenever a ``model`` object's ``state`` changes."""
        self._models[model] = _Watched(state, tags)
        uid = f"cachekeys-tracking-{model._meta.label}"
        pre_save.connect(self._before_save, sender=model, dispatch_uid=uid)
        pre_delete.connect(self._before_save, sender=model, dispatch_uid=uid)
        post_save.connect(self._after_save, sender=model, dispatch_uid=uid)
        post_delete.connect(self._after_save, sender=model, dispatch_uid=uid)
        for relation in m2m:
            m2m_changed.connect(self._m2m_changed, sender=relation.remote_field.through,
                                dispatch_uid=f"{uid}-{relation.name}")

    def watch_list(self, tag: str, fingerprint: Callable[[], Hashable]) -> None:
        """Purge ``tag`` when a change alters ``fingerprint()`` (a list many pages show)."""
        self._lists[tag] = fingerprint

    # -- signal handlers (thin) -----------------------------------------------------
    # Before a change: remember the old state. After it: purge once the transaction
    # commits (at once in autocommit, which is why "before" must not schedule).
    def _before_save(self, sender, instance, raw: bool = False, **kwargs) -> None:
        if raw:
            return
        # A new object has no pk yet, but the lists it will join must be read now.
        self.touch(sender, [instance.pk] if instance.pk is not None else [])

    def _after_save(self, sender, instance, raw: bool = False, created: bool = False, **kwargs) -> None:
        if not raw:
            self.touch(sender, [instance.pk], created=created)
            self.schedule()

    def _m2m_changed(self, sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
        if action.startswith("post_"):
            self.schedule()
        elif not reverse:
            self.touch(type(instance), [instance.pk])
        elif pk_set is not None:
            self.touch(model, list(pk_set))
        else:  # reverse clear: every object on the other side loses this one
            related = model.objects.filter(**{_reverse_filter(sender, model, instance): instance.pk})
            self.touch(model, list(related.values_list("pk", flat=True)))

    # -- the change set -------------------------------------------------------------
    def _changes(self) -> _Changes:
        if not hasattr(self._local, "changes"):
            self._local.changes = _Changes()
        return self._local.changes

    def tracking(self, model: type) -> bool:
        """Whether a change to ``model`` objects is compared and purged here now (watched, not paused)."""
        return model in self._models and not getattr(self._local, "paused", False)

    def touch(self, model: type, pks: Iterable[object], created: bool = False) -> None:
        """Note that ``model`` objects ``pks`` are changing: remember their old state.

        A created object had no state before (read now, it would already show the new one).
        """
        if not self.tracking(model):
            return
        changes = self._changes()
        if changes.lists_before is None:
            changes.lists_before = {tag: read() for tag, read in self._lists.items()}
        watched = self._models[model]
        for pk in pks:
            if (model, pk) not in changes.old:
                changes.old[(model, pk)] = None if created else watched.state(pk)

    def schedule(self) -> None:
        """Purge the change set when the transaction commits.

        Called after every change; the first callback to run takes the whole set, later
        ones find it empty, so one transaction makes one purge.
        """
        if hasattr(self._local, "changes"):
            transaction.on_commit(self.flush, robust=True)

    def flush(self) -> PurgeReport | None:
        changes = getattr(self._local, "changes", None)
        if changes is None:
            return None
        del self._local.changes
        self.last_report = purge_quietly(self._purge, changes)
        return self.last_report

    def _purge(self, changes: _Changes) -> PurgeReport | None:
        tags = self.tags_for(changes)
        return purge_tags(tags) if tags else None

    def tags_for(self, changes: _Changes) -> set[str]:
        tags: set[str] = set()
        for (model, pk), old in changes.old.items():
            watched = self._models[model]
            tags |= watched.tags(pk, old, watched.state(pk))
        for tag, before in (changes.lists_before or {}).items():
            if self._lists[tag]() != before:
                tags.add(tag)
        return tags

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Skip tracking inside the block (bulk work that purges once itself)."""
        previous = getattr(self._local, "paused", False)
        self._local.paused = True
        try:
            yield
        finally:
            self._local.paused = previous


# Sent after a TrackedQuerySet.update() with ``pks``, the rows it changed: what else
# keeps a copy of those rows (a search index) brings it up to date, as on post_save.
rows_updated = Signal()


class TrackedQuerySet(models.QuerySet):
    """A QuerySet whose ``update()`` purges like a save: Django's own sends no signal.

    A reverse foreign-key ``clear()`` or ``remove()`` (``category.posts.clear()``) and
    ``bulk_update()`` are updates too. The rows' old states are read before the update
    (it may move them out of the filter), the comparison runs after the commit, as for
    a save. Model.save() updates through ``_update()``, so a save is not counted twice.
    """

    def update(self, **kwargs) -> int:
        if not (tracker.tracking(self.model) or rows_updated.has_listeners(self.model)):
            return super().update(**kwargs)  # bulk work that purges once itself: no extra query
        pks = list(self.values_list("pk", flat=True))
        tracker.touch(self.model, pks)
        count = super().update(**kwargs)
        rows_updated.send(sender=self.model, pks=pks)
        tracker.schedule()
        return count

    update.alters_data = True


def _reverse_filter(through: type[models.Model], model: type, instance: models.Model) -> str:
    """Return the lookup from ``model`` to ``instance``'s side of an m2m ``through`` table."""
    for relation in model._meta.many_to_many:
        if relation.remote_field.through is through:
            return f"{relation.name}__pk"
    raise LookupError(f"{model} has no many-to-many through {through}")


tracker = Tracker()
