"""Whole public pages cached for anonymous visitors (docs/caching.md).

Every anonymous visitor of the home page, a case study or a search sees the same page, so the
rendered response is kept in Django's cache and served by ``PublicPageCacheMiddleware`` before
sessions, authentication, URL routing, Wagtail and the templates run: a hit costs about what
``/healthz`` costs.

- **Opt-in.** Only a response whose view called ``cacheable(request)`` is stored (cms marks its
  Wagtail pages and the search), and only when it is a plain ``200 text/html`` answer to an anonymous
  GET that sets no cookie (so no CSRF token), carries no message and asks for no ``private`` /
  ``no-store`` / ``no-cache``.
- **Never across people.** A request that carries a session cookie (a signed-in person, or anyone
  with a session) or a messages cookie neither reads nor fills the cache.
- **Key**: scheme, host, full path with query, the language the request would be answered in (the
  same choice as ``LocaleMiddleware``: language cookie, then Accept-Language) and the local date
  (pages say which notices are current today).
- **Invalidation**: ``public_pages_changed()`` bumps one generation number that every entry is
  checked against; the apps whose data the pages show call it when that data changes (cms connects
  the signals). Each entry also expires after ``ANJU_PUBLIC_PAGE_CACHE_SECONDS`` (a safety net for
  changes that send no signal: ``QuerySet.update``, bulk imports). 0 turns the cache off.

With the local-memory cache (no ``REDIS_URL``) each process has its own cache, and a change seen by
one process reaches the others only through that expiry; with Redis all processes share one.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

GENERATION_KEY = "anju:public-pages:generation"
_CACHEABLE_ATTR = "_anju_public_cacheable"
HEADER = "X-Anju-Cache"


def cache_seconds() -> int:
    return int(getattr(settings, "ANJU_PUBLIC_PAGE_CACHE_SECONDS", 0))


def cacheable(request: HttpRequest) -> None:
    """Say that this request's response is the same for every anonymous visitor (the middleware
    still checks the response itself before storing it)."""
    setattr(request, _CACHEABLE_ATTR, True)


def _generation_bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): any new value differs from what entries hold
        cache.set(GENERATION_KEY, time.time_ns() // 1000, None)


def _bump_after_commit() -> None:
    _generation_bump()


def public_pages_changed(**_ignored) -> None:
    """What the public pages show has changed: every cached page is stale.

    Bumped at once (so that this process, a test, the editor's next request see the change) and, in
    a transaction, once more after it commits: a page rendered meanwhile by another request from the
    data before the commit must not outlive it. Usable directly as a signal receiver."""
    _generation_bump()
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(func is _bump_after_commit for _sids, func, _robust in connection.run_on_commit):
        transaction.on_commit(_bump_after_commit, robust=True)


def _language(request: HttpRequest) -> str:
    return translation.get_language_from_request(request)


def _key(request: HttpRequest) -> str:
    full_path = request.get_full_path()
    digest = hashlib.sha256(f"{request.scheme}://{request.get_host()}{full_path}".encode()).hexdigest()[:32]
    return f"anju:public-page:{_language(request)}:{timezone.localdate().isoformat()}:{digest}"


def _may_use(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in request.COOKIES
        and cache_seconds() > 0
    )


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if not getattr(request, _CACHEABLE_ATTR, False) or response.status_code != 200 or response.streaming:
        return False
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # a CSRF token or any cookie belongs to one visitor
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    stored_messages = getattr(request, "_messages", None)
    return not (stored_messages is not None and len(stored_messages))


class PublicPageCacheMiddleware:
    """Serves and stores the public pages' cache (see the module docstring). Sits before the
    session middleware, so that a hit runs none of what follows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _may_use(request):
            return self.get_response(request)
        key = _key(request)
        found = cache.get_many([GENERATION_KEY, key])
        generation, entry = found.get(GENERATION_KEY), found.get(key)
        if entry is not None and entry[0] == generation:
            _stored_generation, status, headers, content = entry
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response[HEADER] = "hit"
            return response
        if generation is None:  # first use, or evicted: start one (read before rendering, see below)
            _generation_bump()
            generation = cache.get(GENERATION_KEY)
        response = self.get_response(request)
        # Stored under the generation read before rendering: if the data changed meanwhile, the
        # entry is already stale and never served.
        if _storable(request, response):
            headers = [(name, value) for name, value in response.items() if name.lower() != HEADER.lower()]
            cache.set(key, (generation, response.status_code, headers, response.content), cache_seconds())
            response[HEADER] = "miss"
        return response
