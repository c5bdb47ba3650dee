"""``./manage.py harvest``: run the Gherkin features, Lettuce style, through the whole stack.

The options are Lettuce's ``harvest`` options that still make sense; the run itself is
``lettuce.harvest.Harvest``. Exits non-zero when any scenario fails.
"""
from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lettuce.browser import STARTERS, BrowserUnavailable
from lettuce.harvest import DEFAULT_XUNIT_FILE, Harvest, HarvestError, HarvestOptions
from lettuce.tags import normalize_tag_options


# Lettuce's options harvest does not carry over, and what to do instead.
NOT_CARRIED_OVER = {
    "--pdb": "run one feature with --failfast and read the report, or add breakpoint() to the step",
    "--smtp-queue": "mail goes to django.core.mail.outbox (Django's test mail backend)",
    "--with-subunit": "use --with-xunit (JUnit XML)",
    "--subunit-file": "use --with-xunit and --xunit-file",
    "--with-jsonreport": "use --with-xunit (JUnit XML)",
    "--jsonreport-file": "use --with-xunit and --xunit-file",
}


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _scenario_numbers(value: str) -> list[int]:
    try:
        return [int(item) for item in _comma_list(value)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give scenario numbers, comma separated (e.g. 1,3)") from None


class Command(BaseCommand):
    help = (
        "Run the features in features/ and in each app's features/ on a test database, "
        "through Nginx and memcached in front of a live server, with a headless browser."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:  # Django's -v, read as Lettuce read it
            if "--verbosity" in action.option_strings:
                action.help = ("0: summary only, 1: a dot per scenario, 2: scenario names, "
                               "3: every step (default)")
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.set_defaults(verbosity=3)  # Lettuce's harvest default: full output
        parser.add_argument("paths", nargs="*", metavar="PATH",
                            help="feature files or folders to run (default: all features)")
        parser.add_argument("-t", "--tag", dest="tags", action="append", default=None,
                            help="run scenarios tagged @TAG; -TAG excludes, ~TAG matches "
                                 "approximately; repeat to combine (Lettuce's rules)")
        parser.add_argument("-a", "--apps", type=_comma_list, default=[],
                            help="run only these apps' features (comma separated)")
        parser.add_argument("-A", "--avoid-apps", type=_comma_list, default=[],
                            help="skip these apps' features (comma separated)")
        parser.add_argument("-S", "--no-server", action="store_true",
                            help="start no live server, Nginx, memcached or browser")
        parser.add_argument("-s", "--scenarios", type=_scenario_numbers, default=None,
                            help="run only these scenarios of each feature, by number from 1 "
                                 "(comma separated)")
        parser.add_argument("-T", "--test-server", action="store_true",
                            help="accepted for Lettuce's sake: harvest always uses the test "
                                 "database")
        parser.add_argument("-d", "--debug-mode", action="store_true", dest="debug",
                            help="run the features with settings.DEBUG on")
        parser.add_argument("-P", "--port", type=int, default=None,
                            help="the live server's port (default: LETTUCE_SERVER_PORT, else "
                                 "a free one)")
        parser.add_argument("--nothreading", action="store_true",
                            help="accepted for Lettuce's sake: the live server is always threaded")
        for option in NOT_CARRIED_OVER:
            takes_value = option.endswith("-file")
            parser.add_argument(option, dest=f"lettuce_{option[2:].replace('-', '_')}",
                                action="store" if takes_value else "store_true",
                                help=argparse.SUPPRESS)
        parser.add_argument("--failfast", action="store_true",
                            help="stop at the first failing scenario")
        parser.add_argument("--with-xunit", action="store_true", dest="enable_xunit",
                            help="write JUnit XML results to --xunit-file")
        parser.add_argument("--xunit-file", default=None,
                            help=f"where --with-xunit writes (default: {DEFAULT_XUNIT_FILE})")
        parser.add_argument("--browser", choices=sorted(STARTERS), default="firefox",
                            help="browser to drive (default: firefox, Firefox ESR)")
        parser.add_argument("--headed", action="store_true",
                            help="show the browser window instead of running headless")
        parser.add_argument("--report-dir", default="reports/harvest",
                            help="where failing steps leave screenshots and page sources, "
                                 "in a folder per run (default: reports/harvest)")

    def handle(self, *args: Any, **options: Any) -> None:
        for option, instead in NOT_CARRIED_OVER.items():
            if options.get(f"lettuce_{option[2:].replace('-', '_')}"):
                raise CommandError(f"{option} is a Lettuce option harvest does not carry over: {instead}.")
        try:
            tags = normalize_tag_options(options["tags"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        xunit_file = options["xunit_file"]
        if options["enable_xunit"] and not xunit_file:
            xunit_file = DEFAULT_XUNIT_FILE
        harvest_options = HarvestOptions(
            paths=options["paths"],
            apps=options["apps"],
            avoid_apps=options["avoid_apps"],
            tags=tags,
            verbosity=options["verbosity"],
            no_color=options["no_color"],
            failfast=options["failfast"],
            xunit_file=xunit_file if options["enable_xunit"] else None,
            run_server=not options["no_server"],
            browser=options["browser"],
            headless=not options["headed"],
            report_dir=options["report_dir"],
            scenarios=options["scenarios"],
            debug=options["debug"],
            port=options["port"],
        )
        try:
            result = Harvest(harvest_options, stdout=self.stdout).run()
        except (HarvestError, BrowserUnavailable) as error:
            raise CommandError(str(error)) from error
        if result.failed:
            raise CommandError("Harvest failed: see the failing scenarios above.")
