"""The readers' JSON API, in TastyPie's format: what the page's script fetches.

Pages are cached whole and shared by every reader, so whatever differs per visitor or
changes by the second reaches the page through its JavaScript, from here:

* ``/api/v1/post/``, ``/api/v1/category/``, ``/api/v1/tag/`` (list and detail): public
  content only, cached by Nginx like pages and purged by the same surrogate keys;
* ``/api/v1/me/``: who the visitor is, for the editor bar; never cached.

Every answer is ``application/json`` (the Content-Type Nginx gives an ``/api/`` hit), and
a malformed or unknown query parameter is a 400 with ``{"error": "..."}``, so each list
has one URL per page of results instead of a cached copy per junk variant.
"""
