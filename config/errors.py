"""Branded error pages while DEBUG is on (``make run``), so the demo never shows Django's debug page.

With DEBUG off Django renders ``templates/404.html`` and ``templates/500.html`` itself. With DEBUG on
(the development settings ``make run`` uses; media files are served only then) Django would show
its technical pages instead; this middleware, added by ``config.settings.dev``, answers with the
branded pages and writes the traceback of an error to the console. ``DEBUG_ERROR_PAGES=1`` in the
environment brings Django's debug pages back for a developer.
"""

from __future__ import annotations

import logging

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.views import defaults

logger = logging.getLogger("django.request")


def _is_technical_page(response) -> bool:
    if response.streaming or "text/html" not in response.get("Content-Type", ""):
        return False
    return b"DEBUG = True" in response.content


class BrandedErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # An address no URL pattern matches (e.g. /missing.txt) never reaches a view: Django answers
        # with its technical 404 before process_exception could run. Recognised by its text.
        if response.status_code == 404 and _is_technical_page(response):
            return defaults.page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied | BadRequest | SuspiciousOperation | MultiPartParserError):
            return None  # Django answers these with 403/400 (its branded-or-plain pages), not a 500
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        response = defaults.server_error(request)
        response._has_been_logged = True  # Django would log the 500 again without the traceback
        return response
