#!/usr/bin/env python3
"""Django's command-line utility for administrative tasks.

``./manage.py`` runs on the project's ``.venv`` (made by ``make setup``) when the Python
that started it has no Django. Two commands get defaults of their own, so they work in a fresh checkout with nothing
exported (an exported variable or ``--settings`` always wins):

* ``harvest`` runs on the test settings (``tests.settings``: a throwaway secret key, a
  test database), as ``make harvest`` does;
* ``runserver`` is the development server, so it runs with ``DEBUG`` on (and therefore
  the development secret key). Every other command, gunicorn and production stay strict.
"""
import importlib.util
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent

# The command -> the environment defaults it runs with.
COMMAND_SETTINGS = {"harvest": "tests.settings"}
COMMAND_ENVIRONMENT = {"runserver": {"DEBUG": "1"}}


def command_of(argv: list[str]) -> str | None:
    """Return the subcommand named in ``argv`` (the first word that is not an option)."""
    return next((word for word in argv[1:] if not word.startswith("-")), None)


def apply_command_defaults(argv: list[str], environ: dict) -> None:
    command = command_of(argv)
    environ.setdefault("DJANGO_SETTINGS_MODULE", COMMAND_SETTINGS.get(command, "site_project.settings"))
    for name, value in COMMAND_ENVIRONMENT.get(command, {}).items():
        environ.setdefault(name, value)


def use_project_venv() -> None:
    """Run on the project's .venv when started by a Python without Django (``./manage.py``)."""
    if importlib.util.find_spec("django") is not None:
        return
    venv_python = PROJECT_DIR / ".venv" / "bin" / "python"
    if not venv_python.exists():
        sys.exit("Django is not installed for this Python: run `make setup` first.")
    os.execv(str(venv_python), [str(venv_python), str(PROJECT_DIR / "manage.py"), *sys.argv[1:]])


def main() -> None:
    use_project_venv()
    apply_command_defaults(sys.argv, os.environ)
    # The development database and secret key live in var/ (git-ignored): a fresh
    # checkout has none yet, and SQLite cannot create the folder itself.
    (PROJECT_DIR / "var").mkdir(exist_ok=True)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as problem:
        # A setting read from the environment is missing or wrong (site_project.env says
        # which): one line for the operator, not a traceback through the settings module.
        sys.exit(f"manage.py: {problem}")


if __name__ == "__main__":
    main()
