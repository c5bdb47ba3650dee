"""``manage.py``: harvest and runserver work with nothing exported; the rest stays strict."""
from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

import manage

CLEAN_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}


def defaults_for(*argv: str, **environ: str) -> dict:
    environ = dict(environ)
    manage.apply_command_defaults(["manage.py", *argv], environ)
    return environ


def test_harvest_runs_on_the_test_settings_and_runserver_in_development():
    assert defaults_for("harvest", "-S") == {"DJANGO_SETTINGS_MODULE": "tests.settings"}
    assert defaults_for("runserver", "0:8002") == {"DJANGO_SETTINGS_MODULE": "site_project.settings",
                                                   "DEBUG": "1"}
    assert defaults_for("check") == {"DJANGO_SETTINGS_MODULE": "site_project.settings"}


def test_what_is_exported_wins():
    assert defaults_for("harvest", DJANGO_SETTINGS_MODULE="mine")["DJANGO_SETTINGS_MODULE"] == "mine"
    assert defaults_for("runserver", DEBUG="0")["DEBUG"] == "0"


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *argv], cwd=settings.BASE_DIR,
                          env=CLEAN_ENV, capture_output=True, text=True, timeout=120)


def test_with_nothing_exported_harvest_starts_and_production_stays_strict():
    harvest = run("harvest", "-S", "--tag=no-such-tag", "tests/lettuce/fixtures/tags")
    assert harvest.returncode == 0, harvest.stderr
    assert "0 scenarios passed" in harvest.stdout
    check = run("check")
    assert check.returncode != 0 and "Set the SECRET_KEY environment variable" in check.stderr
    # One line that says what to do, not a traceback through the settings module.
    assert check.stderr.startswith("manage.py: Set the SECRET_KEY") and "Traceback" not in check.stderr
    development = run("runserver", "--help")
    assert development.returncode == 0, development.stderr


def test_dot_slash_manage_py_runs_on_the_projects_venv():
    # The shebang's python3 is the system's (no Django): manage.py re-runs itself on .venv.
    started = subprocess.run([str(settings.BASE_DIR / "manage.py"), "--version"],
                             cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
                             env={**CLEAN_ENV, "PATH": "/usr/local/bin:/usr/bin:/bin"})
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().startswith("5.2")
