"""``lettuce_webdriver``, as Lettuce suites import it: the bundled web steps of ``lettuce``.

``import lettuce_webdriver.webdriver`` registers ``lettuce.webdriver``'s steps (every
phrase lettuce_webdriver had, the ``$("…")`` ones included) and
``import lettuce_webdriver.css_selector_steps`` the ``$("…")`` ones alone.
"""
