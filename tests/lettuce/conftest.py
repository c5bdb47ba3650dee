"""Run ``./manage.py harvest`` in a subprocess on the sample features in ``fixtures/``.

A subprocess, because harvest sets up its own test database, live server and stack, as
``make harvest`` does; the fixture steps append what they see to ``$HARVEST_RECORD``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class HarvestRun:
    returncode: int
    stdout: str
    stderr: str
    records: list[str]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def summary(self, kind: str) -> str:
        """Return behave's summary line for ``kind`` ("feature", "scenario", "step")."""
        for line in self.stdout.splitlines():
            words = line.split()
            if len(words) > 1 and words[1].rstrip("s") == kind and "passed," in line:
                return line.strip()
        raise AssertionError(f"no {kind} summary in:\n{self.output}")


def run_harvest(work_dir: Path, *args: str, timeout: int = 300) -> HarvestRun:
    """Run harvest with ``args``; its record file and failure reports go in ``work_dir``."""
    record = work_dir / "record.txt"
    record.write_text("")
    env = {
        **{name: value for name, value in os.environ.items()
           if name not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG")},
        "HARVEST_RECORD": str(record),
    }
    completed = subprocess.run(  # nothing exported: harvest picks tests.settings itself
        [sys.executable, "manage.py", "harvest", "--no-color",
         f"--report-dir={work_dir / 'reports'}", *args],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout,
    )
    return HarvestRun(completed.returncode, completed.stdout, completed.stderr,
                      record.read_text().splitlines())


@pytest.fixture
def harvest(tmp_path):
    """Return a function that runs harvest with the given arguments."""
    return lambda *args: run_harvest(tmp_path, *args)


@pytest.fixture
def clean_registries():
    """Give a test empty step and hook registries, and put the real ones back after."""
    from lettuce.registry import CALLBACK_REGISTRY, STEP_REGISTRY

    saved_steps = dict(STEP_REGISTRY)
    saved_hooks = {kind: {when: list(functions) for when, functions in moments.items()}
                   for kind, moments in CALLBACK_REGISTRY.items()}
    STEP_REGISTRY.clear()
    CALLBACK_REGISTRY.clear()
    yield STEP_REGISTRY, CALLBACK_REGISTRY
    STEP_REGISTRY.clear()
    STEP_REGISTRY.update(saved_steps)
    for kind, moments in saved_hooks.items():
        for when, functions in moments.items():
            CALLBACK_REGISTRY[kind][when][:] = functions
