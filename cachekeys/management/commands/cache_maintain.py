"""Retry missed deletes and forget expired records, once or every few seconds."""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cachekeys.purge import prune
from cachekeys.deletes import retry_pending


class Command(BaseCommand):
    help = ("Retry the deletes a down memcached node missed (so it cannot serve old pages when "
            "it returns) and prune expired records. --every N repeats every N seconds.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, metavar="SECONDS", help="repeat forever")

    def handle(self, *args, **options) -> None:
        every = options["every"]
        if every is not None and every <= 0:
            raise CommandError("--every must be a positive number of seconds")
        while True:
            pending = retry_pending()
            prune()
            if every is None:
                self.stdout.write(f"{pending} delete{'s' if pending != 1 else ''} still pending.")
                return
            time.sleep(every)
