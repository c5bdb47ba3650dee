"""What an import did, by kind: imported, updated, unchanged, skipped (and why), failed."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from blog.clusters import Cluster

KINDS = ("posts", "pages", "attachments", "comments")
MAX_LISTED_FAILURES = 20  # in the one-line summary; the JSON report has them all


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportReport:
    path: str
    cluster: Cluster
    dry_run: bool = False
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    skipped: Counter = field(default_factory=Counter)  # (kind, reason) -> items not imported
    failures: list[dict] = field(default_factory=list)  # {"kind", "wp_id", "title", "reason"}
    elsewhere: int = 0  # items that belong to other clusters
    authors: int = 0
    categories: int = 0
    tags: int = 0
    redirects: int = 0  # old addresses recorded or re-pointed
    media_waiting: int = 0  # bodies still pointing at photos another cluster imports
    changed_ids: list[int] = field(default_factory=list)  # pks of created and updated posts
    changed_pages: list[int] = field(default_factory=list)
    written: list[tuple] = field(default_factory=list)  # (kind, wp id, old link, pk) for redirects
    read_seconds: float = 0.0  # the scan: parsing, validating, preparing the items
    fetch_seconds: float = 0.0  # copying and downloading attachments, making their sizes
    wait_seconds: float = 0.0  # waiting for SQLite's write lock (other clusters writing)
    purge_seconds: float = 0.0  # the cache purge after the commit
    seconds: float = 0.0  # all of it

    # The posts' counts, by their old names.
    @property
    def created(self) -> int:
        return self.tallies["posts"].created

    @property
    def updated(self) -> int:
        return self.tallies["posts"].updated

    @property
    def unchanged(self) -> int:
        return self.tallies["posts"].unchanged

    @property
    def posts(self) -> int:
        return self.tallies["posts"].total

    def skip(self, kind: str, reason: str, count: int = 1) -> None:
        self.skipped[(kind, reason)] += count

    def fail(self, kind: str, wp_id: int, title: str, reason: str) -> None:
        self.tallies[kind].failed += 1
        self.failures.append({"kind": kind, "wp_id": wp_id, "title": title, "reason": reason})

    def summary(self) -> str:
        counts = "; ".join(
            f"{tally.total} {kind} ({tally.created} created, {tally.updated} updated, "
            f"{tally.unchanged} unchanged{f', {tally.failed} failed' if tally.failed else ''})"
            for kind, tally in self.tallies.items()
        )
        skipped = ", ".join(f"{count} {kind[:-1] if count == 1 else kind} ({reason})"
                            for (kind, reason), count in sorted(self.skipped.items()))
        failed = "; ".join(f"{f['kind'][:-1]} {f['wp_id']} {f['title']!r}: {f['reason']}"
                           for f in self.failures[:MAX_LISTED_FAILURES])
        if len(self.failures) > MAX_LISTED_FAILURES:
            failed += f"; and {len(self.failures) - MAX_LISTED_FAILURES} more (see --report)"
        waiting = (f"; {self.media_waiting} items still point at photos not imported "
                   "(failed, or imported by a cluster that has not run yet)" if self.media_waiting else "")
        return (
            f"{'DRY RUN, nothing written: ' if self.dry_run else ''}"
            f"{self.path} cluster {self.cluster}: {counts}; {self.elsewhere} items in other clusters; "
            f"{self.authors} authors, {self.categories} categories, {self.tags} tags, "
            f"{self.redirects} old addresses; skipped {skipped or 'nothing'}; "
            f"failed {failed or 'nothing'}{waiting}; {self.seconds:.1f} s (read {self.read_seconds:.1f} s, "
            f"fetched files in {self.fetch_seconds:.1f} s, waited {self.wait_seconds:.1f} s for the "
            f"write lock, purged the cache in {self.purge_seconds:.1f} s)"
        )

    def as_json(self) -> dict:
        """The report as ``--report FILE`` writes it."""
        return {
            "file": self.path,
            "cluster": str(self.cluster),
            "dry_run": self.dry_run,
            "imported": {kind: {"created": t.created, "updated": t.updated, "unchanged": t.unchanged,
                                "failed": t.failed} for kind, t in self.tallies.items()},
            "skipped": [{"kind": kind, "reason": reason, "count": count}
                        for (kind, reason), count in sorted(self.skipped.items())],
            "failed": self.failures,
            "in_other_clusters": self.elsewhere,
            "authors": self.authors,
            "categories": self.categories,
            "tags": self.tags,
            "old_addresses": self.redirects,
            "waiting_for_photos": self.media_waiting,
            "seconds": {"total": round(self.seconds, 3), "read": round(self.read_seconds, 3),
                        "fetch": round(self.fetch_seconds, 3), "lock_wait": round(self.wait_seconds, 3),
                        "purge": round(self.purge_seconds, 3)},
        }
