"""Step files: which folders hold them, and importing each file once.

Lettuce's rule (``fs.FeatureLoader``): from a feature's folder, the step definitions are
every ``*.py`` under the nearest folder, going up, that holds any Python file. A feature
in ``features/checkout/`` with its steps in ``features/steps.py`` finds them. The climb
stops below the project folder and below an installed app's folder: those hold the
project's code, not step files, and importing them again as step modules would
register their models twice.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from lettuce.registry import StepLoadingError


def _python_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def step_folder_for(folder: Path, stop_at: Iterable[Path] = ()) -> Path:
    """Return the folder whose ``*.py`` files are the steps of features in ``folder``."""
    barriers = {Path(path).resolve() for path in stop_at}
    start = current = folder.resolve()
    while not _python_files(current):
        parent = current.parent
        if parent == current or parent in barriers or current in barriers:
            return start
        current = parent
    return current


def import_file(path: Path, module_name: str) -> ModuleType:
    """Import the Python file ``path`` as ``module_name`` (once), its folder on sys.path."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StepLoadingError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    # Lettuce put a step file's folder on sys.path, so it could import its neighbours.
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    finally:
        sys.path.remove(folder)
    return module


def module_name_for(path: Path, base_dir: Path) -> str:
    try:
        relative = path.resolve().relative_to(base_dir.resolve())
    except ValueError:
        relative = path.resolve()
    return "harvest_steps." + re.sub(r"\W", "_", str(relative.with_suffix("")))


def load_step_files(folders: Iterable[Path], base_dir: Path) -> list[ModuleType]:
    """Import every ``*.py`` under each folder (recursively) once, as Lettuce did.

    Each file gets its own module name from its path, so two apps' ``steps.py`` are two
    modules. ``__init__.py`` files are skipped: they only mark packages.
    """
    modules: list[ModuleType] = []
    for folder in dict.fromkeys(Path(folder).resolve() for folder in folders):
        for path in _python_files(folder):
            if path.name == "__init__.py":
                continue
            module = import_file(path, module_name_for(path, base_dir))
            if module not in modules:
                modules.append(module)
    return modules
