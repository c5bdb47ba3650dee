"""Print the Nginx config rendered from the settings Django stores pages with."""
from __future__ import annotations

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cachekeys.conf import get_config
from cachekeys.nginx import NginxOptions, render

ADDRESS = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$|^\d{1,5}$|^unix:/\S+$")


def address(value: str) -> str:
    if not ADDRESS.match(value):
        raise CommandError(f"not HOST:PORT (or a port, or unix:/path): {value!r}")
    return value


class Command(BaseCommand):
    help = "Print the Nginx config (a server block, or with --standalone a whole nginx.conf)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--standalone", action="store_true",
                            help="a complete nginx.conf for `nginx -c FILE -p DIR -g 'daemon off;'`")
        parser.add_argument("--listen", help="HOST:PORT Nginx listens on (default 127.0.0.1:8000 "
                            "standalone, 80 otherwise)")
        parser.add_argument("--app", action="append", default=[], metavar="HOST:PORT",
                            help="an app server (gunicorn); repeat for several (default 127.0.0.1:8001)")
        parser.add_argument("--memcached", action="append", default=[], metavar="HOST:PORT",
                            help="a memcached node; repeat for several (default: MEMCACHED_SERVERS)")
        parser.add_argument("--run-dir", type=Path,
                            help="where a standalone Nginx keeps pid, logs and temp files (default: cwd)")
        parser.add_argument("--workers", default="auto", help="worker_processes (standalone)")
        parser.add_argument("--no-access-log", action="store_true", help="access_log off (benchmarks)")

    def handle(self, *args, **options) -> None:
        standalone = options["standalone"]
        if options["run_dir"] and not standalone:
            raise CommandError("--run-dir only applies with --standalone")
        nginx_options = NginxOptions(
            listen=address(options["listen"] or ("127.0.0.1:8000" if standalone else "80")),
            app=[address(a) for a in options["app"]] or ["127.0.0.1:8001"],
            memcached=[address(m) for m in options["memcached"]] or get_config().servers,
            standalone=standalone,
            run_dir=options["run_dir"],
            worker_processes=options["workers"],
            access_log=not options["no_access_log"],
        )
        try:
            self.stdout.write(render(nginx_options), ending="")
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
