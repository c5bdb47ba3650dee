"""Lettuce's surface on behave: ``from lettuce import step, world, before, after``.

Lettuce (Python 2 only) is gone; this package keeps what its users wrote against, and
runs it on behave through ``./manage.py harvest``:

* ``step``/``steps``: regex step definitions (``lettuce.decorators``);
* ``world``, ``before``, ``after``: shared state and hooks (``lettuce.terrain``);
* ``lettuce.django.django_url``: an absolute URL on the site under test;
* ``lettuce.webdriver``: the standard web steps, every phrase of ``lettuce_webdriver``
  (also importable as ``lettuce_webdriver.webdriver`` and ``.css_selector_steps``).

The glue to behave: ``lettuce.parser`` (feature files read as Lettuce read them),
``lettuce.model`` (the step and scenario objects), ``lettuce.matching`` (which definition
runs a step), ``lettuce.loading`` (step files, imported once), ``lettuce.runner`` (hooks
around behave's run). The run itself is ``lettuce.harvest``, over ``lettuce.server`` (test
database, live server), ``lettuce.stack`` (``HARVEST_STACK``) and ``lettuce.browser``.
Importing this package touches neither Django nor behave, so a ``terrain.py`` may import
it first thing. The manual is ``lettuce/README.md``.
"""
from lettuce.decorators import step, steps
from lettuce.registry import CALLBACK_REGISTRY, STEP_REGISTRY, call_hook
from lettuce.terrain import after, before
from lettuce.world import world

__all__ = [
    "CALLBACK_REGISTRY",
    "STEP_REGISTRY",
    "after",
    "before",
    "call_hook",
    "step",
    "steps",
    "world",
]
