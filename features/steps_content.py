"""Steps for photos, comments and search (issue 13): files to upload, what a cached page holds.

Photos are made with Pillow in a temporary folder, so a scenario uploads a real JPEG the
way an editor's browser does (Selenium types the file's path into the file input).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By

from blog.models import Comment, Image
from features.steps import fetch
from lettuce import step, world
from lettuce.webdriver import field_named, wait_for
from tests.factories import photo_bytes


@step(r'^I attach a photo "([^"]*)" to "([^"]*)"$')
def attach_photo(step, filename, field):
    folder = Path(tempfile.mkdtemp(prefix="harvest-photos-"))
    path = folder / filename
    path.write_bytes(photo_bytes(1800, 1000))
    field_named(field).send_keys(str(path))


@step(r'^I fill in "([^"]*)" with the id of the photo "([^"]*)"$')
def fill_in_photo_id(step, field, alt):
    image = Image.objects.get(alt_text=alt)
    element = field_named(field)
    element.clear()
    element.send_keys(str(image.pk))


@step(r'^I should see the photo "([^"]*)" loaded$')
def photo_loaded(step, alt):
    """An <img> with that alt text that the browser fetched and decoded (through Nginx's /media/)."""
    def loaded(browser):
        for image in browser.find_elements(By.CSS_SELECTOR, "img"):
            if image.get_attribute("alt") == alt and browser.execute_script(
                    "return arguments[0].complete && arguments[0].naturalWidth > 0", image):
                return image.get_attribute("currentSrc")
        return None
    source = wait_for(loaded, lambda: f'no loaded photo with alt text "{alt}" on {world.browser.current_url}')
    assert "/media/images/" in source, source


@step(r'^the cached copy of "([^"]*)" (shows|does not show) "([^"]*)"$')
def cached_copy_shows(step, path, verb, text):
    """What every reader gets: the page from the cache (warmed if need be), read by urllib."""
    fetched = fetch(path)
    if fetched.x_cache != "HIT":
        fetched = fetch(path)
    assert fetched.x_cache == "HIT", f"{path} is not served from the cache: {fetched.describe()}"
    shown = text in fetched.text
    assert shown == (verb == "shows"), f'{path} from the cache {"lacks" if verb == "shows" else "shows"} "{text}"'


@step(r'^I select the comment by "([^"]*)"$')
def select_comment(step, name):
    comment = Comment.objects.get(author_name=name)
    box = wait_for(lambda browser: browser.find_element(
        By.CSS_SELECTOR, f'input[name="_selected_action"][value="{comment.pk}"]'),
        lambda: f"no checkbox for the comment by {name}")
    if not box.is_selected():
        box.click()
