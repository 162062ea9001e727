"""Demo steps are registrations: each app adds its own demo data, estates runs the steps in order and
refuses a step that names one nobody registered (at start-up, and before seed_demo writes anything)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError

from estates import demo
from estates.demo import registry
from estates.models import Estate


@pytest.fixture
def steps(monkeypatch):
    """The registry, restored after the test."""
    monkeypatch.setattr(registry, "_STEPS", dict(registry._STEPS))
    return registry._STEPS


def names() -> list[str]:
    return [step.name for step in demo.demo_steps()]


def test_the_apps_demo_steps_run_governance_then_bills_then_the_site():
    """Arrangements set the tariffs the bills use; the site shows both."""
    assert names() == ["property_services", "billing", "common_parts", "work_orders", "rentals", "cms"]


def test_after_and_before_order_the_steps_and_registration_order_breaks_ties(steps):
    steps.clear()
    ran = []
    for name, kwargs in [
        ("c", {"after": ("b",)}),
        ("a", {}),
        ("b", {"before": ("a",)}),
        ("d", {}),
    ]:
        demo.register_demo_step(name, lambda stdout=None, name=name: ran.append(name), **kwargs)
    assert names() == ["b", "c", "a", "d"]


@pytest.mark.parametrize("kwargs", [{"after": ("propery_services",)}, {"before": ("bills",)}])
def test_a_step_naming_a_missing_step_fails_at_start_up(steps, kwargs):
    demo.register_demo_step("rentals", lambda stdout=None: None, **kwargs)
    with pytest.raises(ImproperlyConfigured, match="rentals"):
        demo.demo_steps()
    assert [e.id for e in registry.check_demo_steps()] == ["estates.E002"]
    with pytest.raises(SystemCheckError, match="estates.E002"):
        call_command("check")


def test_steps_waiting_for_each_other_are_refused(steps):
    demo.register_demo_step("x", lambda stdout=None: None, after=("y",))
    demo.register_demo_step("y", lambda stdout=None: None, after=("x",))
    with pytest.raises(ImproperlyConfigured, match="wait for each other"):
        demo.demo_steps()


@pytest.mark.django_db
def test_seed_demo_refuses_a_broken_registry_before_writing_anything(steps):
    demo.register_demo_step("rentals", lambda stdout=None: None, after=("nowhere",))
    with pytest.raises((ImproperlyConfigured, CommandError)):
        call_command("seed_demo", "--units", "3", skip_checks=True)
    assert not Estate.objects.exists()


def test_registering_again_replaces_the_step(steps):
    first = registry._STEPS["cms"]
    demo.register_demo_step("cms", first.run, after=first.after)
    assert names() == ["property_services", "billing", "common_parts", "work_orders", "rentals", "cms"]


def test_the_estates_demo_imports_no_higher_app():
    from pathlib import Path

    for path in Path(demo.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for higher in ("billing", "property_services", "cms", "rentals"):
            assert f"from {higher}" not in source and f"import {higher}" not in source, (path.name, higher)
