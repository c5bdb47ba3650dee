"""The features' terrain: loaded by ``./manage.py harvest`` before any feature, as in Lettuce.

Hooks here run for every feature in the project. Per-scenario cleaning (database,
memcached, browser cookies) is harvest's own job; this file only adds what the
magazine's steps share.
"""
from lettuce import before, world

# Registers the standard web steps ("I visit ...", "I should see ...", "I press ...").
import lettuce.webdriver  # noqa: F401


@before.each_scenario
def forget_passwords(scenario):
    # "Given the editor "erin" exists with password ..." remembers it here, so a later
    # "When I log in as "erin"" need not repeat it. Scenario-scoped: world drops it after.
    world.passwords = {}
