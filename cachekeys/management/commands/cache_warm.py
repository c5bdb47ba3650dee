"""Render every sitemap page into the cache through Nginx, in parallel (see cachekeys.warm)."""
from __future__ import annotations

import sys
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from cachekeys.conf import get_config
from cachekeys.warm import Client, Page, WarmError, WarmReport, sitemap_pages, warm


def concurrency(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 64:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = ("Fetch every page of the sitemap (and WARM_PATHS) through Nginx, so each is rendered "
            "and stored before readers come: after a deploy or a purge of everything.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", help="where Nginx listens (default: CACHEKEYS['WARM_BASE_URL'])")
        parser.add_argument("--host", help="the Host readers use (default: the base URL's)")
        parser.add_argument("--sitemap", help="its path (default: CACHEKEYS['WARM_SITEMAP'])")
        parser.add_argument("--concurrency", type=concurrency, default=4, metavar="N",
                            help="pages fetched at once, 1-64 (default 4; each miss holds an app worker)")
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds per page (default 30)")

    def handle(self, *args, **options) -> None:
        config = get_config()
        base_url = options["base_url"] or config.warm_base_url
        sitemap = Page(options["host"] or urlsplit(base_url).netloc, options["sitemap"] or config.warm_sitemap)
        try:
            with Client(base_url, options["timeout"]) as client:
                pages = [Page(sitemap.host, path) for path in config.warm_paths] + sitemap_pages(client, sitemap)
                report = self.warm(client, pages, options)
        except WarmError as error:
            raise CommandError(f"cannot read the sitemap through {base_url}: {error}") from error
        self.report(report, base_url)

    def warm(self, client: Client, pages: list[Page], options: dict) -> WarmReport:
        pages = list(dict.fromkeys(pages))  # "/" is usually in the sitemap too
        with tqdm(total=len(pages), unit="page", desc="Warming", file=sys.stderr,
                  disable=options["verbosity"] < 1) as bar:
            return warm(client, pages, options["concurrency"], advance=bar.update)

    def report(self, report: WarmReport, base_url: str) -> None:
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(report.outcomes.items()))
        errors = f", {len(report.errors)} errors" if report.errors else ""
        self.stdout.write(f"Warmed {report.pages} pages through {base_url}: {counts or 'none answered'}{errors}.")
        for error in report.errors[:10]:
            self.stderr.write(f"  {error}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} of {report.pages} pages failed")
