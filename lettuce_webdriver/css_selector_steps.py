"""Alias of ``lettuce.css_selector_steps``: importing it registers the ``$("…")`` steps."""
from lettuce.css_selector_steps import *  # noqa: F401,F403
from lettuce.css_selector_steps import __all__  # noqa: F401
