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
PERSON_GENERATION_KEY = "anju:person-pages:generation"
_CACHEABLE_ATTR = "_anju_public_cacheable"
HEADER = "X-Anju-Cache"


def cache_seconds() -> int:
    return int(getattr(settings, "ANJU_PUBLIC_PAGE_CACHE_SECONDS", 0))


def cacheable(request: HttpRequest) -> None:
    """Say that this request's response is the same for every anonymous visitor (the middleware
    still checks the response itself before storing it)."""
    setattr(request, _CACHEABLE_ATTR, True)


def _generation_bump(key: str = GENERATION_KEY) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not set yet (or evicted): any new value differs from what entries hold
        cache.set(key, time.time_ns() // 1000, None)


def _bump_after_commit() -> None:
    _generation_bump()


def _person_bump_after_commit() -> None:
    _generation_bump(PERSON_GENERATION_KEY)


def _bump_now_and_after_commit(key: str, after_commit) -> None:
    _generation_bump(key)
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(func is after_commit for _sids, func, _robust in connection.run_on_commit):
        transaction.on_commit(after_commit, robust=True)


def public_pages_changed(**_ignored) -> None:
    """What the public pages show has changed: every cached page is stale.

    Bumped at once (so that this process, a test, the editor's next request see the change) and, in
    a transaction, once more after it commits: a page rendered meanwhile by another request from the
    data before the commit must not outlive it. Usable directly as a signal receiver."""
    _bump_now_and_after_commit(GENERATION_KEY, _bump_after_commit)


def _language(request: HttpRequest) -> str:
    return translation.get_language_from_request(request)


def _key(request: HttpRequest) -> str:
    full_path = request.get_full_path()
    digest = hashlib.sha256(f"{request.scheme}://{request.get_host()}{full_path}".encode()).hexdigest()[:32]
    return f"anju:public-page:{_language(request)}:{timezone.localdate().isoformat()}:{digest}"


def _may_use(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and not request.path_info.startswith(tuple(getattr(settings, "ANJU_PUBLIC_PAGE_CACHE_SKIP", ())))
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
            _generation_bump(GENERATION_KEY)
            generation = cache.get(GENERATION_KEY)
        response = self.get_response(request)
        # Stored under the generation read before rendering: if the data changed meanwhile, the
        # entry is already stale and never served.
        if _storable(request, response):
            headers = [(name, value) for name, value in response.items() if name.lower() != HEADER.lower()]
            cache.set(key, (generation, response.status_code, headers, response.content), cache_seconds())
            response[HEADER] = "miss"
        return response


# --- pages of one signed-in person (the portal) -------------------------------------------------

_WRITES = ("INSERT", "UPDATE", "DELETE", "WITH", "COPY", "TRUNCATE", "MERGE")


def person_cache_seconds() -> int:
    return int(getattr(settings, "ANJU_PERSON_PAGE_CACHE_SECONDS", 0))


def person_cacheable(view):
    """Mark a GET view whose page depends only on who is signed in, the language and the data (no
    form input, nothing from the session but the person): ``PersonPageCacheMiddleware`` may answer it
    from that person's cached copy."""
    view.anju_person_cacheable = True
    return view


def write_watcher(execute, sql, params, many, context):
    """A database execute wrapper: a statement that writes to a table whose rows the person pages
    show (``ANJU_PERSON_PAGE_TABLES``: the portal apps' tables) drops every person's cached pages,
    now and again after the transaction commits. Whatever writes them — a view, a django-q task, a
    billing run's bulk INSERT, ``QuerySet.update`` — goes through here, so no code path is missed."""
    result = execute(sql, params, many, context)
    if person_cache_seconds() > 0 and isinstance(sql, str) and sql.lstrip()[:8].upper().startswith(_WRITES):
        prefixes = getattr(settings, "ANJU_PERSON_PAGE_TABLES", ())
        if any(f'"{prefix}' in sql or f" {prefix}" in sql for prefix in prefixes):
            _bump_now_and_after_commit(PERSON_GENERATION_KEY, _person_bump_after_commit)
    return result


def write_watcher_install(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: watch this connection's writes (once)."""
    if connection is not None and write_watcher not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, write_watcher)


class PersonPageCacheMiddleware:
    """A signed-in person's own copy of a ``person_cacheable`` page (the portal home, the bills).

    Sits after authentication and messages. The key is the person, their CSRF secret (a page's forms
    carry a token for it; a new login gets a new secret and so a new copy), the full path, the
    language and the local date. Any write to the portal apps' tables (``write_watcher``) starts a
    new generation, so a bill paid, a vote cast or an ownership changed shows at once; the entry also
    expires after ``ANJU_PERSON_PAGE_CACHE_SECONDS`` (pages that open or close with the clock).
    Needs a cache that every process shares (Redis): a payment handled by a django-q worker must reach
    the web processes. Without ``REDIS_URL`` it is off (docs/caching.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        key = getattr(request, "_anju_person_key", None)
        if key is not None and self._storable(request, response):
            headers = list(response.items())
            cache.set(
                key, (request._anju_person_generation, response.status_code, headers, response.content), person_cache_seconds()
            )
            response[HEADER] = "miss"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "anju_person_cacheable", False) or request.method != "GET" or person_cache_seconds() <= 0:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or len(getattr(request, "_messages", ()) or ()):
            return None
        secret = request.META.get("CSRF_COOKIE", "")
        digest = hashlib.sha256(f"{secret}|{request.get_full_path()}".encode()).hexdigest()[:32]
        key = f"anju:person-page:{user.pk}:{translation.get_language()}:{timezone.localdate().isoformat()}:{digest}"
        found = cache.get_many([PERSON_GENERATION_KEY, key])
        generation, entry = found.get(PERSON_GENERATION_KEY), found.get(key)
        if entry is not None and entry[0] == generation:
            _stored, status, headers, content = entry
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response[HEADER] = "hit"
            return response
        if generation is None:
            _generation_bump(PERSON_GENERATION_KEY)
            generation = cache.get(PERSON_GENERATION_KEY)
        request._anju_person_key, request._anju_person_generation = key, generation
        request._anju_person_csrf = secret
        return None

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponse) -> bool:
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        if not response.get("Content-Type", "").startswith("text/html"):
            return False
        # The session, CSRF and message middlewares sit outside this one and set their cookies after
        # it: a page that changed the session, or whose forms carry a token for a secret other than
        # the one in the key (a first visit without the CSRF cookie), is not kept.
        session = getattr(request, "session", None)
        if session is not None and session.modified:
            return False
        secret = request._anju_person_csrf
        if not secret or request.META.get("CSRF_COOKIE", secret) != secret:
            return False
        stored_messages = getattr(request, "_messages", None)
        return not (stored_messages is not None and len(stored_messages))
