"""What the cache does, as a table: Nginx's counters and Django's (the metrics Prometheus reads)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cachekeys.conf import get_config
from cachekeys.metrics import exposition, hit_ratio, nginx_metrics_urls, read_nginx, rows


class Command(BaseCommand):
    help = ("Print the page cache's numbers: each Nginx's requests by X-Cache and status, the hit "
            "ratio, renders, refusals, coalescing, purges, pending deletes and each memcached node.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--nginx", action="append", metavar="URL",
                            help="an Nginx's metrics URL (repeat for several); default: "
                                 "WARM_BASE_URL/_cachekeys/metrics")

    def handle(self, *args, **options) -> None:
        config = get_config()
        urls = options["nginx"] or nginx_metrics_urls(config.warm_base_url)
        table, unreachable = [], []
        for url in urls:
            try:
                nginx = rows(read_nginx(url), url)
            except (OSError, ValueError) as error:
                unreachable.append(f"{url}: {error}")
                continue
            ratio = hit_ratio(nginx)
            table.append((url, "hit ratio", "", "n/a" if ratio is None else f"{ratio:.1%}"))
            table += [(source, name, labels, _number(value)) for source, name, labels, value in nginx]
        try:
            django = rows(exposition().decode("utf-8"), "django")
        except Exception as error:  # the database or the metrics folder: say which, no traceback
            raise CommandError(f"could not read Django's metrics: {error}") from error
        table += [(source, name, labels, _number(value)) for source, name, labels, value in django]
        self.print_table(table)
        for line in unreachable:
            self.stderr.write(f"Nginx unreachable, {line}")

    def print_table(self, table: list[tuple[str, str, str, str]]) -> None:
        header = ("source", "metric", "labels", "value")
        widths = [max(len(row[i]) for row in [header, *table]) for i in range(4)]
        for row in [header, tuple("-" * w for w in widths), *table]:
            self.stdout.write("  ".join(cell.ljust(width) if i < 3 else cell.rjust(width)
                                        for i, (cell, width) in enumerate(zip(row, widths))).rstrip())


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}"
