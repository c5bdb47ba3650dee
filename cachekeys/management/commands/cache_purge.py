"""Purge cached pages by URL, by surrogate key, or all of this site's pages."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cachekeys.purge import PurgeReport, purge_all, purge_tags, purge_urls
from cachekeys.deletes import retry_pending


class Command(BaseCommand):
    help = ("Purge cached pages: --url URL, --tag TAG (surrogate key, e.g. blog.post:12), or --all "
            "(every page this site recorded; never flush_all, memcached may be shared).")

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--url", action="append", metavar="URL", help="absolute URL; repeatable")
        what.add_argument("--tag", action="append", metavar="TAG", help="surrogate key; repeatable")
        what.add_argument("--all", action="store_true", help="every page this site stored")
        what.add_argument("--retry", action="store_true", help="retry deletes a down node missed")

    def handle(self, *args, **options) -> None:
        if options["retry"]:
            left = retry_pending()
            self.stdout.write(f"{left} delete{'s' if left != 1 else ''} still pending.")
            if left:
                raise CommandError("some memcached nodes are still unreachable")
            return
        try:
            report = self.purge(options)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Purged {len(report.keys)} page{'s' if len(report.keys) != 1 else ''}.")
        if report.failed_servers:
            raise CommandError(f"memcached {', '.join(report.failed_servers)} unreachable; "
                               "the deletes are recorded and retried (cache_purge --retry)")

    def purge(self, options: dict) -> PurgeReport:
        if options["all"]:
            return purge_all()
        if options["tag"]:
            return purge_tags(set(options["tag"]))
        return purge_urls(options["url"])
