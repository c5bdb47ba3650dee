"""Full pages that Nginx serves straight from memcached.

Django renders a page once, on a miss, and stores its bytes under the very key Nginx
computes for the request (``cachekeys.keys``); Nginx answers every later reader from
memcached without touching Python. Settings and checks: cachekeys/README.md.
"""
