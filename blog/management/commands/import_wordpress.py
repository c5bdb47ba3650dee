"""``manage.py import_wordpress FILE [--cluster=I/N] [--uploads DIR] [--report FILE] [--dry-run]``.

Parses arguments and delegates to ``blog.wordpress.importer``; see its docstring for
how a cluster is scanned, written in one transaction, and purged from the cache.
"""
from __future__ import annotations

import json
import os
import resource
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from blog.clusters import Cluster
from blog.wordpress.importer import ImportFailure, import_export
from blog.wordpress.parser import ExportError, export_size


class Command(BaseCommand):
    help = (
        "Import a WordPress export (WXR 1.0, 1.1 or 1.2): posts with their categories and "
        "tags, pages, comments, photo attachments (copied from --uploads or downloaded), "
        "authors, and every old address as a redirect. Menu items and revisions are skipped "
        "and counted. Importing the same export again updates what changed and adds nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The WXR file written by WordPress's Tools > Export.")
        parser.add_argument(
            "--cluster", default="1/1", metavar="I/N",
            help="Import only the I-th of N slices of the items (by WordPress id); "
                 "N runs, one per slice, import every item once. Default: 1/1, all of them.",
        )
        parser.add_argument(
            "--uploads", metavar="DIR",
            help="A copy of the old site's wp-content/uploads folder: attachments are copied "
                 "from it; the ones not in it are downloaded from their wp:attachment_url.",
        )
        parser.add_argument("--report", metavar="FILE",
                            help="Also write the report (counts by kind, skipped, failed) as JSON.")
        parser.add_argument(
            "--dry-run", action="store_true",
            help="Read and check everything and report what would be imported; write nothing, "
                 "fetch no files.",
        )
        parser.add_argument(
            "--no-purge", action="store_true",
            help="Do not purge the imported posts from the page cache (by default each run "
                 "purges them once, after its commit). Only for a site that serves no cached "
                 "pages yet, or when you purge everything yourself afterwards.",
        )

    def handle(self, *args, **options) -> None:
        path = options["file"]
        uploads = options["uploads"]
        if uploads and not os.path.isdir(uploads):
            raise CommandError(f"import_wordpress: --uploads {uploads}: no such folder; nothing was imported")
        try:
            cluster = Cluster.parse(options["cluster"])
        except ValueError as error:
            raise CommandError(f"import_wordpress: --cluster: {error}") from None
        # The bars only show on a terminal; run_clusters sends our output to a file.
        scan_bar = tqdm(total=export_size(path), unit="B", unit_scale=True, disable=None,
                        desc=f"reading {cluster}", file=sys.stderr, leave=False)
        write_bar = tqdm(total=0, unit="item", disable=None, desc=f"writing {cluster}",
                         file=sys.stderr, leave=False)

        def scanned(posts: int) -> None:
            scan_bar.close()
            write_bar.reset(total=posts)

        try:
            report = import_export(path, cluster, purge_cache=not options["no_purge"],
                                   uploads=uploads, dry_run=options["dry_run"],
                                   on_scan=scan_bar.update,
                                   on_scanned=scanned, on_post=write_bar.update)
        except ExportError as error:
            raise CommandError(f"import_wordpress: {error}; nothing was imported") from None
        except (ImportFailure, DatabaseError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CommandError(f"import_wordpress: {path}: {message}; nothing was imported") from None
        finally:
            scan_bar.close()
            write_bar.close()
        # Linux reports ru_maxrss in KiB: the peak shows the import streams (see bench/IMPORT.md).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"{report.summary()}; peak memory {peak:.0f} MB")
        if options["report"]:
            self._write_report(options["report"], {**report.as_json(), "peak_memory_mb": round(peak)})

    def _write_report(self, target: str, data: dict) -> None:
        try:
            with open(target, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2, ensure_ascii=False)
                out.write("\n")
        except OSError as error:
            # The import is committed by now: say so, and why the report is missing.
            raise CommandError(f"import_wordpress: the import is done, but the report could not be "
                               f"written to {target}: {error.strerror}") from None
