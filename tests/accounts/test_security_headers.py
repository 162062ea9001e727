"""Issue 9 item 5: a Content-Security-Policy on every response and no caching of private pages.

The public site and the portal run no inline script (the policy has neither 'unsafe-inline' nor
'unsafe-eval'; a template that needs an inline block carries the request's nonce). The back office
gets the strictest policy Wagtail's admin works under: it writes inline scripts (date pickers,
inline panels) and styles, so only those are allowed inline; the browser journeys in tests/e2e/
fail on any violation, which proves the policies work. Portal and back-office pages are sent with
``Cache-Control: private, no-store``.
"""

import re

import pytest

from accounts.models import Role
from tests.accounts.test_health_and_settings import production_env, run_python

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_no_inline_script_allowed(directives: dict[str, list[str]]) -> None:
    assert directives["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name] and "'unsafe-eval'" not in directives[name], name
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'self'"]


def assert_private(response) -> None:
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control, response["Cache-Control"]


@pytest.fixture
def home(db):
    from cms.demo import _home

    return _home({"pages": 0, "images": 0})


@pytest.fixture
def owner(make_estate, make_user):
    from estates.models import Owner

    estate = make_estate("H1", name="安居苑")
    user = make_user("13800001234", name="李秀英")
    Owner.objects.create(estate=estate, name="李秀英", user=user)
    return user


def test_public_pages_carry_a_policy_without_inline_script_and_have_none(client, home):
    response = client.get("/")
    assert response.status_code == 200
    assert_no_inline_script_allowed(policy(response))
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)  # e.g. the language switch's onchange
    assert "/static/js/anju.js" in html  # the language switch works from our static script instead
    # an anonymous visitor's public page may be cached; the policy is there all the same
    assert "no-store" not in response.get("Cache-Control", "")
    search = client.get("/search/", {"q": "小区"})
    assert_no_inline_script_allowed(policy(search))


def test_portal_pages_have_the_strict_policy_a_nonce_for_their_inline_style_and_are_not_stored(client, owner):
    client.force_login(owner)
    for url in ("/portal/", "/portal/bills/", "/portal/governance/"):
        response = client.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        assert_no_inline_script_allowed(directives)
        assert_private(response)
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html))
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html))
        for nonce in re.findall(r'<style nonce="([^"]+)"', html):
            assert f"'nonce-{nonce}'" in directives["style-src"], url


def test_a_page_shown_to_a_signed_in_person_is_not_stored_even_on_the_public_site(client, home, owner):
    client.force_login(owner)
    assert_private(client.get("/"))


def test_back_office_has_its_own_policy_and_is_not_stored(client, make_user):
    staff = make_user("13900001111", Role.PLATFORM_ADMIN, name="王平")
    anonymous_login = client.get("/admin/login/")
    assert_private(anonymous_login)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    # Wagtail's admin writes inline scripts and styles; nothing else is loosened
    assert directives["script-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'self'"]
    assert_private(response)
    # the admin's avatars and release check would reach other hosts: both are off
    assert "gravatar.com" not in response.content.decode()


def test_production_settings_send_the_policies_and_private_cache_headers(tmp_path):
    """Under config.settings.production (HTTPS, real host): the same headers on every kind of page.

    The static manifest is built by collectstatic at deployment; the check swaps in plain static
    storage so that it can render pages without one, and creates the tables straight from the
    models (running the migrations takes minutes here).
    """
    code = """
import django
django.setup()
from django.apps import apps
from django.db import connection
from django.test import Client, override_settings
from django.conf import settings
with connection.schema_editor() as editor:
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            editor.create_model(model)
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    client = Client(HTTP_HOST="anju.example.org", raise_request_exception=False)
    for path in ("/", "/search/", "/accounts/login/", "/admin/login/", "/portal/"):
        r = client.get(path, secure=True)
        print(path, r.status_code, "|", r.get("Cache-Control", ""), "|", r.get("Content-Security-Policy", ""))
"""
    result = run_python(code, env=production_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {}
    for line in result.stdout.splitlines():
        head, cache_control, csp = line.split(" | ")
        path, status = head.split()
        rows[path] = (status, cache_control, csp)
    assert set(rows) == {"/", "/search/", "/accounts/login/", "/admin/login/", "/portal/"}, result.stdout
    for path, (status, _cache_control, csp) in rows.items():
        assert status in {"200", "302", "404"}, (path, status, result.stderr[-2000:])  # "/": no site in the empty database
        assert "default-src 'self'" in csp, (path, csp)
        assert "object-src 'none'" in csp and "'unsafe-eval'" not in csp, (path, csp)
    for path in ("/", "/search/", "/accounts/login/", "/portal/"):
        assert "'unsafe-inline'" not in rows[path][2], path
    assert "script-src 'self' 'unsafe-inline'" in rows["/admin/login/"][2]
    for path in ("/accounts/login/", "/admin/login/", "/portal/"):
        assert {"private", "no-store"} <= {p.strip() for p in rows[path][1].split(",")}, (path, rows[path][1])
