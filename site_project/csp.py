"""django-csp's middleware, with the policy's directives in one fixed order.

django-csp 4.0 joins the directives in the order of a ``set``, which differs from one
process to the next (string hashing is randomised): two gunicorn workers would send the
same policy spelled differently, and a cache hit (Nginx repeats the header rendered in
another process) would not match its miss byte for byte. Sorting makes it one string.
"""
from __future__ import annotations

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponseBase


def canonical(policy: str) -> str:
    return "; ".join(sorted(part.strip() for part in policy.split(";") if part.strip()))


class StableCSPMiddleware(CSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().process_response(request, response)
        for header in (HEADER, HEADER_REPORT_ONLY):
            if header in response:
                response[header] = canonical(response[header])
        return response
