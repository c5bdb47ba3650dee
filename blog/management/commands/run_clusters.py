"""``manage.py run_clusters --clusters N --pool P [--log FILE] -- COMMAND [ARGS...]``.

Runs ``manage.py COMMAND ARGS --cluster=I/N`` for I = 1..N, P at a time, and resumes
a stopped run from its log. Parses arguments and delegates to ``blog.clusters``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from blog.clusters import ClusterLog, LogBusy, run_clusters, run_key


class Command(BaseCommand):
    help = (
        "Run a cluster-aware management command (one that accepts --cluster=I/N) as N "
        "processes, P at a time. Finished clusters are logged; running the same command "
        "again skips them, so a killed run resumes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--clusters", type=int, required=True, metavar="N",
                            help="Split the work into N clusters.")
        parser.add_argument("--pool", type=int, required=True, metavar="P",
                            help="Run P clusters at a time, each in its own process.")
        parser.add_argument(
            "--log", metavar="FILE",
            help="Where finished clusters are recorded. Default: var/clusters/COMMAND-KEY.log, "
                 "KEY naming the command, its arguments and files, N and the database.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument("argv", nargs="+", metavar="COMMAND [ARGS...]",
                            help="The management command to run, after --.")

    def handle(self, *args, **options) -> None:
        count, pool, argv = options["clusters"], options["pool"], options["argv"]
        if count < 1:
            raise CommandError(f"run_clusters: --clusters must be at least 1, got {count}")
        if pool < 1:
            raise CommandError(f"run_clusters: --pool must be at least 1, got {pool}")
        _check_command(argv)
        database = connections["default"].settings_dict
        context = f"{settings.SETTINGS_MODULE} {database['ENGINE']} {database['HOST']} {database['NAME']}"
        key = run_key(argv, count, context)
        log_path = Path(options["log"] or settings.VAR_DIR / "clusters" / f"{argv[0]}-{key}.log")
        output_dir = log_path.with_name(log_path.name + ".output")
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *argv]
        try:
            with ClusterLog(log_path, key) as log:
                result = run_clusters(command, count, pool, log, output_dir=output_dir,
                                      echo=self.stdout.write, progress=not options["no_progress"])
        except LogBusy as error:
            raise CommandError(f"run_clusters: {error}") from None

        finished = len(result.skipped) + len(result.succeeded)
        if result.interrupted:
            raise CommandError(
                f"run_clusters: stopped by {result.interrupted}: {finished} of {count} clusters "
                f"finished and logged in {log_path}; run the same command again to resume"
            )
        if result.failed:
            result.failed.sort(key=lambda outcome: outcome.cluster.index)  # not finishing order
            for outcome in result.failed:
                self.stderr.write(f"cluster {outcome.cluster} exited with {outcome.returncode}: "
                                  f"{outcome.last_line} (output: {outcome.output})")
            names = ", ".join(str(outcome.cluster) for outcome in result.failed)
            raise CommandError(
                f"run_clusters: {len(result.failed)} of {count} clusters failed: {names}; "
                f"their output is kept in {output_dir}; run the same command again to retry them"
            )
        if not any(output_dir.iterdir()):
            output_dir.rmdir()
        skipped = f" ({len(result.skipped)} already done by an earlier run)" if result.skipped else ""
        self.stdout.write(f"all {count} clusters finished{skipped}; log: {log_path}")


def _check_command(argv: list[str]) -> None:
    """Refuse a command that does not exist or would not understand --cluster=I/N."""
    name = argv[0]
    if any(arg == "--cluster" or arg.startswith("--cluster=") for arg in argv[1:]):
        raise CommandError("run_clusters: leave --cluster out of the command, run_clusters adds it")
    app = get_commands().get(name)
    if app is None:
        raise CommandError(f"run_clusters: unknown command {name!r}")
    command = app if isinstance(app, BaseCommand) else load_command_class(app, name)
    parser = command.create_parser("manage.py", name)
    if not any("--cluster" in action.option_strings for action in parser._actions):
        raise CommandError(f"run_clusters: {name!r} does not accept --cluster=I/N")
