"""Alias of ``lettuce.webdriver``: importing it registers the web steps."""
from lettuce.webdriver import *  # noqa: F401,F403
from lettuce.webdriver import __all__  # noqa: F401
