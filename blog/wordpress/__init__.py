"""Moving a WordPress site in: read its export (WXR 1.1/1.2) and import it, in clusters.

- ``parser``: stream an export as records, refusing anything that is not a clean WXR file.
- ``importer``: scan a cluster's posts, then write them in one transaction and purge once.
- ``generate``: write synthetic exports of any size (tests, ``bench/import_wordpress.py``).

The commands are ``manage.py import_wordpress FILE [--cluster=I/N]`` and, to run the
clusters a few at a time and resume a stopped run, ``manage.py run_clusters`` (see
``blog.clusters``).
"""
