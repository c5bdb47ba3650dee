"""One ``harvest`` run: features found, the whole stack up, behave run, everything torn down.

The order, and what each hook sees:

1. The feature folders are found (``features/`` next to ``manage.py``, then each
   installed app's ``features/``, or the paths given), and ``terrain.py`` (next to
   ``manage.py``) is imported: its hooks register.
2. Django's test environment and test database are set up (``DiscoverRunner``), then
   every ``*.py`` under the feature folders is imported: step definitions and hooks.
3. Unless ``-S``: one live server (``lettuce.server``), ``before.runserver(server)``, then
   the stack the ``HARVEST_STACK`` setting names in front of it (``lettuce.stack``; for
   the magazine: a private memcached and a standalone Nginx that Django stores into).
4. ``world.base_url`` is the stack's URL, else the live server's (relative URLs in steps
   resolve against it), ``world.live_server_url`` Django's own; ``world.browser`` starts
   on first use.
5. ``before.harvest(variables)``; behave runs the features (``lettuce.runner``);
   ``after.harvest(results)``, one result per app as in Lettuce.
6. Teardown in reverse, whatever happened: browser, Nginx and memcached, settings, live
   server (then ``after.runserver``), test database.

Each scenario starts clean: memcached flushed (a page cached by one scenario must not
answer the next), Django's caches cleared, browser cookies and storage deleted, and the
database flushed after the scenario.

A failing step leaves a screenshot, the page source and a note with the error in
``reports/harvest/<timestamp>/``; the summary names the folder.
"""
from __future__ import annotations

import contextlib
import io
import logging
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from behave.configuration import Configuration
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django.test.runner import DiscoverRunner

from lettuce import conf
from lettuce.browser import BrowserSession, check_available, slug
from lettuce.loading import import_file, load_step_files, step_folder_for
from lettuce.matching import lettuce_snippets
from lettuce.model import HarvestSummary, TotalResult
from lettuce.parser import LettuceSyntaxError
from lettuce.registry import call_hook
from lettuce.runner import HarvestHooks, HarvestRunner, RunServices
from lettuce.server import DjangoSide
from lettuce.stack import StackUnavailable, start_stack
from lettuce.tags import LettuceTagExpression
from lettuce.world import world

# Lettuce's -v levels, as behave formatters.
FORMATS = {0: "null", 1: "progress", 2: "progress3", 3: "pretty"}
DEFAULT_XUNIT_FILE = "lettucetests.xml"  # Lettuce's default name


class HarvestError(Exception):
    """The run could not start (nothing to run, a missing browser...)."""


@dataclass(frozen=True)
class FeatureRoot:
    """A folder of features (or one feature file), and the app it belongs to."""

    path: Path
    app: ModuleType | None = None

    @property
    def folder(self) -> Path:
        return self.path if self.path.is_dir() else self.path.parent

    def holds(self, filename: str | Path) -> bool:
        target = Path(filename).resolve()
        root = self.path.resolve()
        return target == root or root in target.parents


@dataclass
class HarvestOptions:
    paths: list[str] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)
    avoid_apps: list[str] = field(default_factory=list)
    tags: list[str] | None = None
    verbosity: int = 3
    no_color: bool = False
    failfast: bool = False
    xunit_file: str | None = None
    run_server: bool = True
    browser: str = "firefox"
    headless: bool = True
    report_dir: str = "reports/harvest"
    scenarios: list[int] | None = None  # Lettuce's -s: scenario numbers in each feature
    debug: bool = False  # Lettuce's -d: DEBUG on while the features run
    port: int | None = None  # Lettuce's -P: the live server's port


def _has_features(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".feature"
    return any(path.rglob("*.feature"))


def discover_feature_roots(base_dir: Path, only_apps: list[str] | None = None,
                           avoid_apps: list[str] | None = None) -> list[FeatureRoot]:
    """Return the project's ``features/`` and each installed app's, as harvest runs them.

    ``only_apps``/``avoid_apps`` name apps by label or dotted name (Lettuce's ``-a``/``-A``);
    with ``only_apps`` the project's own ``features/`` is left out. Without ``-a``, the
    ``LETTUCE_APPS`` and ``LETTUCE_AVOID_APPS`` settings choose apps, as in Lettuce.
    """
    only = set(only_apps or [])
    avoid = set(avoid_apps or [])
    roots = []
    project = base_dir / "features"
    if not only and project.is_dir():
        roots.append(FeatureRoot(project))
    for config in apps.get_app_configs():
        names = {config.label, config.name}
        if (only and not names & only) or names & avoid:
            continue
        if not only and not conf.app_selected_by_settings(config.name):
            continue
        folder = Path(config.path) / "features"
        if folder.is_dir() and folder.resolve() != project.resolve():
            roots.append(FeatureRoot(folder, config.module))
    return [root for root in roots if _has_features(root.path)]


def roots_for_paths(paths: list[str], base_dir: Path) -> list[FeatureRoot]:
    """Return a root per path given on the command line; raise for one that is missing."""
    app_roots = discover_feature_roots(base_dir)
    roots = []
    for raw in paths:
        path = Path(raw)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.exists():
            raise HarvestError(f"You passed the path '{raw}', but it does not exist.")
        app = next((root.app for root in app_roots if root.holds(path)), None)
        roots.append(FeatureRoot(path, app))
    return roots


class FailureReports:
    """The folder failing steps leave their evidence in, created at the first failure."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder: Path | None = None
        self.count = 0

    def next_stem(self, *names: str) -> tuple[Path, str]:
        if self.folder is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            folder, n = self.root / stamp, 1
            while folder.exists():  # two runs in one second (CI retries, parallel jobs)
                n += 1
                folder = self.root / f"{stamp}-{n}"
            folder.mkdir(parents=True)
            self.folder = folder
        self.count += 1
        return self.folder, "-".join([f"{self.count:02d}", *(slug(name, 40) for name in names)])


class HarvestServices(RunServices):
    """The clean slate between scenarios, and evidence of failures."""

    def __init__(self, django_side: DjangoSide, roots: list[FeatureRoot],
                 reports: FailureReports) -> None:
        self.django_side = django_side
        self.roots = roots
        self.reports = reports
        self.stack: Any = None
        self.browser: BrowserSession | None = None

    def use_site(self, stack: Any, browser: BrowserSession) -> None:
        """Serve the scenarios through ``stack`` (None: the live server alone) with ``browser``."""
        self.stack = stack
        self.browser = browser

    def base_url(self) -> str | None:
        if self.stack is not None:
            return self.stack.base_url
        info = self.django_side.info
        return info.url if info is not None else None

    def test_case(self) -> Any:
        return self.django_side.case_class()

    def app_for(self, feature_filename: str) -> ModuleType | None:
        return next((root.app for root in self.roots if root.holds(feature_filename)), None)

    def before_scenario(self) -> None:
        self.django_side.before_scenario()
        if self.stack is not None:
            self.stack.flush()  # what the last scenario left cached must not answer this one
        for cache in caches.all():
            cache.clear()

    def after_scenario(self) -> None:
        try:
            if self.browser is not None:
                try:
                    self.browser.reset()
                except Exception:
                    # A browser that cannot even be reset is replaced: the next scenario
                    # must not inherit its state, nor fail because of it.
                    self.browser.quit()
                    raise
        finally:
            self.django_side.after_scenario()

    def save_failure(self, scenario: Any, step: Any) -> None:
        folder, stem = self.reports.next_stem(scenario.feature.name, scenario.name)
        saved = self.browser.save_failure(folder, stem) if self.browser else []
        url = self.browser.current_url() if self.browser else ""
        note = [
            f"Feature:  {scenario.feature.name}  ({scenario.feature.location})",
            f"Scenario: {scenario.name}  ({scenario.location})",
            f"Step:     {step.keyword} {step.name}  ({step.location})",
            f"Status:   {step.status.name}",
            f"Page:     {url or '(no browser page)'}",
            f"Saved:    {', '.join(path.name for path in saved) or 'nothing: no browser was open'}",
            "",
            step.error_message or "",
        ]
        (folder / f"{stem}.txt").write_text("\n".join(note), encoding="utf-8")


@dataclass
class HarvestResult:
    failed: bool
    total: HarvestSummary
    failures_dir: Path | None
    undefined_snippets: str = ""


class Harvest:
    """Run features as ``./manage.py harvest`` does; ``run()`` returns the result."""

    def __init__(self, options: HarvestOptions, stdout: TextIO | None = None,
                 base_dir: Path | None = None) -> None:
        self.options = options
        self.stdout = stdout or sys.stdout
        self.base_dir = Path(base_dir or settings.BASE_DIR)

    def feature_roots(self) -> list[FeatureRoot]:
        if self.options.paths:
            roots = roots_for_paths(self.options.paths, self.base_dir)
        else:
            roots = discover_feature_roots(self.base_dir, self.options.apps,
                                           self.options.avoid_apps)
        roots = [root for root in roots if _has_features(root.path)]
        if not roots:
            raise HarvestError(
                "No features found: put .feature files in features/ next to manage.py "
                "or in an app's features/ folder, or pass paths."
            )
        return roots

    def step_folders(self, roots: list[FeatureRoot]) -> list[Path]:
        """Each root's step folder, by Lettuce's walk-up rule (``lettuce.loading``)."""
        barriers = [self.base_dir, *(Path(config.path) for config in apps.get_app_configs())]
        return [step_folder_for(root.folder, barriers) for root in roots]

    def import_terrain(self) -> ModuleType | None:
        terrain = self.base_dir / "terrain.py"
        if not terrain.is_file():
            return None
        return import_file(terrain, "terrain")

    def run(self) -> HarvestResult:
        options = self.options
        roots = self.feature_roots()
        if options.run_server:
            check_available(options.browser)  # fail now, not at the first browsing step
        self.import_terrain()

        reports = FailureReports(self.base_dir / options.report_dir)
        django_side = DjangoSide(with_server=options.run_server,
                                 port=options.port or conf.server_port())
        services = HarvestServices(django_side, roots, reports)

        with contextlib.ExitStack() as cleanup:
            # A 404 is often what a scenario checks for: Django's "Not Found" warnings
            # would only interleave with the report. Server errors (ERROR) still show.
            request_log = logging.getLogger("django.request")
            cleanup.callback(request_log.setLevel, request_log.level)
            request_log.setLevel(logging.ERROR)

            test_runner = DiscoverRunner(interactive=False, verbosity=0)
            test_runner.setup_test_environment()
            cleanup.callback(test_runner.teardown_test_environment)
            old_config = test_runner.setup_databases(serialized_aliases=set())
            cleanup.callback(test_runner.teardown_databases, old_config)

            if options.debug:  # Lettuce's -d; otherwise DEBUG is off, as in Django's tests
                cleanup.enter_context(override_settings(DEBUG=True))

            # Step files load once, when the test database exists (a module that queries
            # at import must not reach the real one) and before any hook can fire, so the
            # runserver and harvest hooks they define run too (in Lettuce only
            # terrain.py's did).
            load_step_files(self.step_folders(roots), self.base_dir)

            cleanup.callback(self._server_stopped, django_side)  # runs after the stop below
            django_side.start()
            cleanup.callback(django_side.stop)
            if django_side.info is not None:
                call_hook("before", "runserver", django_side.info)
                self._start_site(services, cleanup)

            result = self._run_behave(roots, services, reports)
            call_hook("after", "harvest", result.total)
        return result

    @staticmethod
    def _server_stopped(django_side: DjangoSide) -> None:
        if django_side.info is not None:
            call_hook("after", "runserver", django_side.info)

    def _start_site(self, services: HarvestServices, cleanup: contextlib.ExitStack) -> None:
        info = services.django_side.info
        try:
            stack = start_stack(conf.stack_factory(), info, cleanup)
        except StackUnavailable as error:
            raise HarvestError(str(error)) from error
        base_url = stack.base_url if stack is not None else info.url
        browser = BrowserSession(self.options.browser, self.options.headless,
                                 base_url=base_url, clean_path=settings.STATIC_URL)
        services.use_site(stack, browser)
        world._use_browser(browser)
        cleanup.callback(world._use_browser, None)
        cleanup.callback(browser.quit)

        world.base_url = base_url
        world.live_server_url = info.url
        world.stack = stack
        for name in ("base_url", "live_server_url", "stack"):
            cleanup.callback(world.spew, name)
        if self.options.verbosity >= 2:
            front = f", behind {stack} at {base_url}" if stack is not None else ""
            self.stdout.write(f"Django's live server is at {info.url}{front}\n")

    def behave_configuration(self, roots: list[FeatureRoot], junit_dir: Path | None) -> Configuration:
        options = self.options
        args = [str(root.path) for root in roots]
        args += ["--format", FORMATS.get(options.verbosity, "pretty"), "--no-skipped",
                 "--no-snippets"]
        # Lettuce captured nothing: what steps and hooks print is shown, pass or fail.
        args += ["--no-capture", "--no-capture-stderr", "--no-logcapture"]
        args.append("--no-color" if options.no_color else "--color=auto")
        if options.failfast:
            args.append("--stop")
        if junit_dir is not None:
            args += ["--junit", "--junit-directory", str(junit_dir)]
        config = Configuration(command_args=args, load_config=False)
        config.tag_expression = LettuceTagExpression(options.tags)
        return config

    def _run_behave(self, roots: list[FeatureRoot], services: HarvestServices,
                    reports: FailureReports) -> HarvestResult:
        options = self.options
        with tempfile.TemporaryDirectory(prefix="harvest-junit-") as junit_tmp:
            junit_dir = Path(junit_tmp) if options.xunit_file else None
            config = self.behave_configuration(roots, junit_dir)
            hooks = HarvestHooks(services)
            runner = HarvestRunner(config, base_dir=self.base_dir, hooks=hooks,
                                   scenario_numbers=options.scenarios)
            call_hook("before", "harvest", {
                "options": options, "paths": [root.path for root in roots],
                "tags": options.tags, "server": services.django_side.info,
                "stack": services.stack, "base_url": services.base_url(),
            })
            try:
                failed = runner.run()
            except LettuceSyntaxError as error:
                raise HarvestError(str(error)) from None
            if junit_dir is not None:
                write_xunit(junit_dir, Path(options.xunit_file))

        total = HarvestSummary(
            TotalResult.from_features([feature for feature in runner.features
                                       if root.holds(feature.filename)])
            for root in roots
        )
        total.failures_dir = reports.folder
        snippets = lettuce_snippets(runner.undefined_steps)
        if snippets:
            self.stdout.write("\n" + snippets)
        if reports.folder is not None:
            self.stdout.write(
                f"Failing steps left a screenshot, the page source and a note in "
                f"{display_path(reports.folder)}\n"
            )
        return HarvestResult(failed=bool(failed), total=total, failures_dir=reports.folder,
                             undefined_snippets=snippets)


def display_path(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def write_xunit(junit_dir: Path, target: Path) -> None:
    """Merge behave's JUnit files (one per feature) into Lettuce's single xunit file."""
    suites = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    elapsed = 0.0
    for path in sorted(junit_dir.glob("*.xml")):
        suite = ET.parse(path).getroot()
        for name in totals:
            totals[name] += int(suite.get(name, "0"))
        elapsed += float(suite.get("time", "0") or 0)
        suites.append(suite)
    for name, value in totals.items():
        suites.set(name, str(value))
    suites.set("time", f"{elapsed:.3f}")
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    ET.ElementTree(suites).write(buffer, encoding="utf-8", xml_declaration=True)
    target.write_bytes(buffer.getvalue())
