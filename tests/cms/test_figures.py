"""The home page's figures come from a register: what is registered is shown, a mistake fails at start-up."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms import figures
from cms.figures import HOME_PAGE_FIGURES, app_figures_register, figures_verify, register_public_figure


@pytest.fixture
def registry(monkeypatch):
    """The register as the site started, restored after the test."""
    monkeypatch.setattr(figures, "_registry", dict(figures._registry))
    return figures._registry


def shown_figures(client) -> list[tuple[str, str]]:
    """(value, label) of each figure on the home page, in order."""
    response = client.get("/")
    assert response.status_code == 200
    block = re.search(r'data-testid="city-figures">(.*?)</ul>', response.content.decode(), re.S).group(1)
    return [(v, label.strip()) for v, label in re.findall(r"<li><strong>(.*?)</strong>(.*?)</li>", block, re.S)]


#: Figures the apps below cms declare (AppConfig.public_figures()): property services' public income.
APP_FIGURES = ["public_income_disclosed"]


def test_the_site_starts_with_the_inventory_figures_and_nothing_not_built_yet(registry):
    assert [f.key for f in figures.registered_figures()] == [*HOME_PAGE_FIGURES, *APP_FIGURES]


def test_the_home_page_shows_the_city_figures_in_order(client, site_tree, make_project, make_estate):
    make_project("P1")  # a completed renovation: its estate has two units
    make_estate("E2", buildings=("1", "2"), units_per_building=3)
    shown = shown_figures(client)
    assert shown == [  # the labels in Chinese, the site's language
        ("1", "个小区已完成改造"),
        ("2", "个小区已入驻平台"),
        ("8", "房屋"),
        ("0", "户已加装电梯"),
    ]


def test_a_registered_figure_appears_on_the_home_page(client, site_tree, registry):
    register_public_figure("flats_pooled_for_rent", label="flats pooled for rent", compute=lambda: 17, order=50)
    register_public_figure(
        "public_income", label="public income disclosed", compute=lambda: Decimal("12345.60"), order=5, money=True
    )
    shown = shown_figures(client)
    assert shown[0] == ("¥12,345.60", "public income disclosed")
    assert shown[-1] == ("17", "flats pooled for rent")
    assert len(shown) == len(HOME_PAGE_FIGURES) + 2


def test_a_figure_with_nothing_to_show_yet_is_left_out(client, site_tree, registry):
    register_public_figure("not_yet", label="not built yet", compute=lambda: None, order=1)
    assert "not built yet" not in [label for _, label in shown_figures(client)]


def test_a_compute_that_is_not_callable_fails(registry):
    with pytest.raises(ImproperlyConfigured, match="callable"):
        register_public_figure("broken", label="broken", compute=42, order=1)
    assert "broken" not in registry


def test_a_key_registered_twice_fails(registry):
    first = registry["units"]
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        register_public_figure("units", label="units", compute=lambda: 0, order=30)
    assert registry["units"] is first
    # The very same registration again (a second ready()) is harmless.
    register_public_figure("units", label=first.label, compute=first.compute, order=first.order, changes_with=first.changes_with)


def test_a_figure_the_home_page_needs_that_nobody_registered_fails_at_start_up(registry):
    figures_verify()
    del registry["households_with_lift_added"]
    with pytest.raises(ImproperlyConfigured, match="households_with_lift_added"):
        figures_verify()


def test_an_app_below_cms_declares_its_figures_in_its_app_config(registry):
    """Apps below cms cannot import it: cms reads AppConfig.public_figures() as it starts."""

    def flats_pooled_count():
        return 3

    rentals = SimpleNamespace(
        public_figures=lambda: [
            {"key": "flats_pooled_for_rent", "label": "flats pooled", "compute": flats_pooled_count, "order": 50}
        ]
    )
    app_figures_register([SimpleNamespace(), rentals])
    assert registry["flats_pooled_for_rent"].compute is flats_pooled_count

    broken = SimpleNamespace(public_figures=lambda: [{"key": "typo", "label": "typo", "compute": "not a function", "order": 1}])
    with pytest.raises(ImproperlyConfigured):
        app_figures_register([broken])


@pytest.mark.django_db
def test_figures_run_one_query_each_whatever_the_number_of_rows(make_estate, make_project):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            shown = figures.public_figures()
        assert len(shown) == len(HOME_PAGE_FIGURES)  # no statement published: public income is left out
        return len(ctx.captured_queries)

    make_project("F1")
    small = count()
    for i in range(30):
        make_estate(f"F{i + 10}", buildings=("1", "2"), units_per_building=4)
    assert count() == small == len(figures.registered_figures())


def test_the_home_page_runs_a_fixed_number_of_queries_whatever_the_number_of_rows(
    client, site_tree, make_estate, make_project, registry
):
    register_public_figure("extra", label="extra", compute=lambda: 1, order=99)

    def count() -> int:
        client.get("/")  # warm-up: site settings, renditions
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    make_project("H1")
    small = count()
    for i in range(20):
        make_project(f"H{i + 10}")
        make_estate(f"X{i + 10}", buildings=("1", "2", "3"), units_per_building=5)
    assert count() == small
