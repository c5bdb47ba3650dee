"""Print the memcached key Nginx uses for an absolute URL."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cachekeys.conf import get_config
from cachekeys.keys import url_key


class Command(BaseCommand):
    help = "Print the memcached key Nginx computes for URL (md5 of prefix + $host + $request_uri without tracking parameters)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", nargs="+", help="absolute URL, e.g. http://example.com/posts/x/?page=2")

    def handle(self, *args, **options) -> None:
        rules = get_config().key_rules
        for url in options["url"]:
            try:
                key = url_key(url, rules.key_prefix, rules.tracking)
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(key)
