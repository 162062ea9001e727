"""Fixtures shared by every test package: role groups, personas and a small estate inventory.

Environment switches (set by `make test`, see scripts/run-tests.sh):
- CI=true: what a developer's machine may skip (PostgreSQL, Redis, Chromium) must be there.
- ANJU_TEST_PASS=sqlite: this is the SQLite pass of `make test`; PostgreSQL-only tests skip here
  even in CI because the PostgreSQL pass runs them.
- ANJU_ONE_PASS_ELSEWHERE=1: the other pass of `make test` runs the tests marked `one_pass` (those
  whose outcome does not depend on the database backend: browser journeys, `make run`, crawls, PDFs,
  catalogues, tooling), so this pass deselects them. Every test still runs once per `make test`.
"""

import contextlib
import os
from decimal import Decimal

import pytest

PASSWORD = "anju-test-2026"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_sessionstart(session):
    """Under CI, a PostgreSQL DATABASE_URL that does not answer ends the run at once, loudly."""
    if hasattr(session.config, "workerinput"):  # xdist worker: the controller already checked
        return
    if not in_ci():
        return
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        return
    import psycopg

    try:
        psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=5,
        ).close()
    except psycopg.Error as exc:
        pytest.exit(
            f"CI=true and DATABASE_URL points at PostgreSQL {db.get('HOST')}:{db.get('PORT')}, "
            f"but the server does not answer: {exc}",
            returncode=1,
        )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "one_pass: the outcome does not depend on the database backend; `make test` runs it in one pass "
        "(the PostgreSQL pass, or the SQLite pass when there is no PostgreSQL)",
    )
    if os.environ.get("ANJU_ONE_PASS_ELSEWHERE", "") in ("1", "true", "yes"):
        config.pluginmanager.register(OnePassElsewhere(), "anju-one-pass-elsewhere")
    elif os.environ.get("ANJU_ONE_PASS_IN_SQLITE", "") in ("1", "true", "yes"):
        config.pluginmanager.register(OnePassElsewhere(in_sqlite=True), "anju-one-pass-elsewhere")
    # One migrated database per run, copied by every xdist worker (tests/db_template.py).
    from tests import db_template

    if db_template.wanted(config):
        config.pluginmanager.register(db_template.DatabaseTemplate(), "anju-db-template")
    template = getattr(config, "workerinput", {}).get(db_template.WORKER_KEY)
    if template:
        db_template.use_template_in_worker(template)


#: Tests whose outcome does not depend on the database backend, marked `one_pass` here: `make test`
#: runs them once, in the PostgreSQL pass. "dir/" marks a folder, a path a whole file, "path::name"
#: one test (with all its parameters), "path::name[parameters]" one case of it.
ONE_PASS = (
    "tests/e2e/",  # browser journeys (what Chromium sees), `make run` on its own SQLite file
    "tests/test_tooling.py",  # make lint, .ci/run, scripts/run-dev.sh: no database at all
    "tests/accounts/test_translations.py",  # the catalogues and the language of the login page
    "tests/accounts/test_chinese_throughout.py",  # a crawl for English words on every page
    "tests/accounts/test_portal_links.py",  # a crawl for links to missing pages
    "tests/billing/test_receipt_pdf.py::test_the_receipt_pdf_has_real_chinese_text_and_an_embedded_cjk_font",
    "tests/billing/test_receipt_pdf.py::test_an_organisation_payer_is_printed_in_full",
    "tests/billing/test_receipt_pdf.py::test_many_receipts_render_in_one_pass_one_page_each",
    "tests/property_services/test_fund_disclosure.py::test_the_pdf_text_is_real_chinese_with_an_embedded_cjk_font",
    # The size checks whose small cases run in both passes: at scale, once, on the production database.
    "tests/estates/test_inventory.py::test_a_100k_row_units_sheet_imports",  # small imports: the rest of the file
    "tests/billing/test_portal_billing.py::test_the_bills_page_runs_the_same_queries_for_10_and_1000_bills[1000]",
    # The full demo seed at 600 and 1,200 units: the same services on both backends, whose smaller
    # seeds (the 60-unit demo story, the property-services demo) run in both passes.
    "tests/estates/test_seed_demo.py",
    "tests/estates/test_seed_demo_options.py::test_units_option_scales_the_inventory",
    "tests/estates/test_seed_demo_options.py::test_same_data_on_every_run",
)

#: `one_pass` tests that `make test` runs in the SQLite pass instead, to even out the two passes that
#: run at the same time (the PostgreSQL pass has the longer tests: the 100k import, `make run`, the
#: browser journeys). Every entry is also in ONE_PASS. Without PostgreSQL the SQLite pass runs all.
ONE_PASS_IN_SQLITE = (
    "tests/e2e/test_make_run_payment.py",  # its own SQLite file whichever the pass
    "tests/test_tooling.py",
    "tests/accounts/test_translations.py",
    "tests/accounts/test_chinese_throughout.py",
)

#: Long-running tests (besides those marked `slow` in their file), in the same notation: `make test`
#: and CI run them; a developer may leave them out with -m "not slow".
SLOW = (
    "tests/e2e/test_make_run_payment.py",  # migrates and seeds a fresh database in a subprocess
    "tests/accounts/test_chinese_throughout.py::test_back_office_shows_no_english_in_chinese_mode",
    "tests/cms/test_search_recall.py::test_random_chinese_substrings_of_every_live_page_find_the_page",
    "tests/estates/test_seed_demo.py",  # the full demo (600 units)
    "tests/estates/test_seed_demo_options.py::test_units_option_scales_the_inventory",
    "tests/estates/test_demo_story.py",
    "tests/billing/test_portal_billing.py::test_the_bills_page_runs_the_same_queries_for_10_and_1000_bills",
    "tests/cms/test_queries.py::test_fixed_query_counts_at_10_and_1000_pages",
    "tests/ops/test_several_hosts.py",  # two gunicorn and two qcluster processes, a billing run and a webhook burst
)


def listed(item, entries) -> bool:
    """Whether a test is named in ONE_PASS or SLOW (by folder, file, file::test, or file::test[parameters])."""
    path, _, name = item.nodeid.partition("::")
    name = name.split("[", 1)[0]
    if path in entries or f"{path}::{name}" in entries or item.nodeid in entries:
        return True
    return any(entry.endswith("/") and path.startswith(entry) for entry in entries)


def pytest_collection_modifyitems(config, items):
    """Marks the ONE_PASS and SLOW tests (before -m and -k select)."""
    for item in items:
        if listed(item, ONE_PASS):
            item.add_marker(pytest.mark.one_pass)
        if listed(item, SLOW):
            item.add_marker(pytest.mark.slow)


class OnePassElsewhere:
    """Deselects the `one_pass` tests that the other pass runs, after -m and -k have selected.

    scripts/run-tests.sh sets ANJU_ONE_PASS_ELSEWHERE=1 in the SQLite pass (every `one_pass` test but
    those of ONE_PASS_IN_SQLITE is left to the PostgreSQL pass) and ANJU_ONE_PASS_IN_SQLITE=1 in the
    PostgreSQL pass (those of ONE_PASS_IN_SQLITE are left to the SQLite pass)."""

    def __init__(self, *, in_sqlite: bool = False):
        self.in_sqlite = in_sqlite

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        one_pass_elsewhere(config, items, in_sqlite=self.in_sqlite)


def one_pass_elsewhere(config, items, *, in_sqlite: bool = False):
    keep, elsewhere = [], []
    for item in items:
        if in_sqlite:
            gone = listed(item, ONE_PASS_IN_SQLITE)
        else:
            gone = bool(item.get_closest_marker("one_pass")) and not listed(item, ONE_PASS_IN_SQLITE)
        (elsewhere if gone else keep).append(item)
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = keep
    report = os.environ.get("ANJU_ONE_PASS_REPORT")
    if report:  # scripts/run-tests.sh: tells "all selected tests were one_pass" from "nothing collected"
        with open(report, "w") as out:
            out.write(f"{len(keep)} {len(elsewhere)}\n")


@contextlib.contextmanager
def shared_data(django_db_blocker):
    """For a module- or class-scoped fixture that makes data once for tests that only read it.

    The data is made inside a transaction that is rolled back after the fixture's last test; each
    test runs in a savepoint inside it (pytest-django's `db`), so what a test writes is undone after
    it. Every test of the scope sees the data, also those that do not ask for the fixture but run
    after one that did: use a class (or a module of its own) for tests that need an empty database.

        @pytest.fixture(scope="module")
        def demo(django_db_setup, django_db_blocker):
            with shared_data(django_db_blocker):
                seed_demo()
                yield
    """
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data `make run` loads (tests/portal_pages.seed_demo: estates, logins, governance,
    bills, reminders, notices), seeded once per test module (per xdist worker) for tests that read
    it, and rolled back after the module: see shared_data."""
    from tests.portal_pages import seed_demo

    with shared_data(django_db_blocker):
        seed_demo()
        yield


@pytest.fixture
def require_postgres(db):
    """Use in tests that need PostgreSQL itself (its locking, triggers, SQL features)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if in_ci() and os.environ.get("ANJU_TEST_PASS") != "sqlite":
        pytest.fail(f"This test needs PostgreSQL, but the database is {connection.vendor} (CI=true: no skipping).")
    pytest.skip("needs PostgreSQL (runs in the PostgreSQL pass of `make test`)")


@pytest.fixture(autouse=True)
def _postgres_marker(request):
    """`@pytest.mark.postgres` is the same as requesting `require_postgres`."""
    if request.node.get_closest_marker("postgres"):
        request.getfixturevalue("require_postgres")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a cached public page (accounts.page_cache) rendered from
    an earlier test's rolled-back data must not answer this one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def redis_url():
    """A reachable Redis server for tests of the shared cache (REDIS_URL or the local default)."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if in_ci():
            pytest.fail(f"Redis at {url} is not reachable (CI=true: no skipping): {exc}")
        pytest.skip(f"Redis at {url} is not reachable")
    return url


@pytest.fixture
def sync_groups(db):
    """Make sure each role's permission group exists.

    The test database is migrated, so the post_migrate handler has normally created them already;
    only when one is missing (e.g. a test deleted it) are they rebuilt.
    """
    from django.contrib.auth.models import Group

    from estates.roles import registered_roles, sync_role_groups

    roles = registered_roles()
    if Group.objects.filter(name__in=roles).count() < len(roles):
        sync_role_groups()


@pytest.fixture
def make_user(db, sync_groups):
    """make_user(mobile, role=None, *, password=PASSWORD, name="", district=/subdistrict=/estate=...)

    Creates a login with its role and scope through the same service the back office uses.
    """
    from accounts.models import User
    from estates.services import role_grant

    def _make(mobile: str, role: str | None = None, *, password: str = PASSWORD, name: str = "", **scope):
        user = User.objects.create_user(mobile, password, name=name or f"用户{mobile[-4:]}")
        if role:
            role_grant(user=user, role=role, **scope)
            user.refresh_from_db()
        return user

    return _make


@pytest.fixture
def make_estate(db):
    """make_estate(code, *, name=None, buildings=("1",), units_per_building=2, area=Decimal("80.00"),
    subdistrict=None) -> Estate

    district → sub-district → community → estate → buildings → units. Estates share one district,
    sub-district and community unless a sub-district is given. Units are numbered 101, 102, 201, 202, …
    on entrance 1, and each has a different area (area, area + 1, …) so that pages can be told apart.
    """
    from estates.models import Building, Community, District, Estate, Subdistrict, Unit

    def _make(
        code: str,
        *,
        name: str | None = None,
        buildings=("1",),
        units_per_building: int = 2,
        area: Decimal = Decimal("80.00"),
        subdistrict=None,
    ):
        if subdistrict is None:
            district, _ = District.objects.get_or_create(code="T500103", defaults={"name": "渝中区"})
            subdistrict, _ = Subdistrict.objects.get_or_create(
                code="T500103001", defaults={"district": district, "name": "解放碑街道"}
            )
        community, _ = Community.objects.get_or_create(
            code=f"{subdistrict.code}-C", defaults={"subdistrict": subdistrict, "name": f"{subdistrict.name}社区"}
        )
        estate = Estate.objects.create(community=community, code=code, name=name or f"{code}小区", built_year=1995)
        for number in buildings:
            building = Building.objects.create(estate=estate, number=number, floors=6, built_year=1995)
            Unit.objects.bulk_create(
                Unit(
                    building=building,
                    entrance=1,
                    floor=1 + i // 2,
                    number=f"{1 + i // 2}{1 + i % 2:02d}",
                    exclusive_area=Decimal(area) + i,
                )
                for i in range(units_per_building)
            )
        return estate

    return _make
