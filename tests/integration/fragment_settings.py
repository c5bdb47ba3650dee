"""The test settings with a URLconf that adds a page with a fragment (fragment_urls)."""
from tests.settings import *  # noqa: F401,F403

ROOT_URLCONF = "tests.integration.fragment_urls"
