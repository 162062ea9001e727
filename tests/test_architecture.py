"""Imports run one way between the apps, as docs/architecture.md draws them:

    cms → rentals, property_services → billing → estates → accounts

An app may import from the apps below it and from no other: rentals and property_services are
siblings and do not import each other, and nothing imports upward. No app imports another app's
views (`views`, `portal_views`, `admin_views`): an app offers services, selectors and registries,
never its pages. `config/` (which wires the apps together) and `tests/` are exempt.

The modules are read with `ast`, so every import counts, also one inside a function (the usual way
to hide a circle), and so do lookups by string (`import_module("billing.x")`,
`apps.get_model("billing", "Invoice")`, `ForeignKey("billing.Invoice")`) and migration dependencies, which tie
two apps as firmly.
"""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]

# Each app and the apps it may import from (docs/architecture.md, "Apps and the direction of imports").
MAY_IMPORT = {
    "accounts": set(),
    "estates": {"accounts"},
    "billing": {"estates", "accounts"},
    "property_services": {"billing", "estates", "accounts"},
    "rentals": {"billing", "estates", "accounts"},
    "cms": {"rentals", "property_services", "billing", "estates", "accounts"},
}
APPS = set(MAY_IMPORT)
VIEW_MODULES = {"views", "portal_views", "admin_views"}
# Calls whose first string argument names a module or an app (label or dotted path).
STRING_LOOKUPS = {"import_module", "import_string", "get_model", "get_app_config", "get_containing_app_config"}
# Relations may name their model as "app_label.Model".
RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey", "ParentalManyToManyField"}


def app_modules() -> list[tuple[str, str, Path]]:
    """(app, dotted module name, path) of every Python module of the apps, migrations included."""
    modules = []
    for app in sorted(APPS):
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            parts = list(path.relative_to(BASE_DIR).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules.append((app, ".".join(parts), path))
    return modules


def imported_modules(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, dotted name) of everything a module imports, wherever the import statement stands.
    `from a.b import c` yields both `a.b` and `a.b.c`, since c may be a module (`from billing import views`)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names if alias.name != "*")
    return found


def string_lookups(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, string) of module paths and app labels looked up by string, and of migration dependencies."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            if name in STRING_LOOKUPS | RELATIONS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "dependencies" for t in node.targets):
            for element in getattr(node.value, "elts", []):
                if isinstance(element, ast.Tuple) and element.elts and isinstance(element.elts[0], ast.Constant):
                    found.append((element.lineno, str(element.elts[0].value)))
    return found


def violations(app: str, module: str, line: int, target: str, *, by_string: bool = False) -> list[str]:
    parts = target.split(".")
    other = parts[0]
    if other not in APPS or other == app:
        return []
    where = f"{module}:{line}"
    how = f"looks up {target!r} by string" if by_string else f"imports {target}"
    found = []
    if other not in MAY_IMPORT[app]:
        found.append(f"{where} {how}: {app} may not depend on {other}")
    if VIEW_MODULES.intersection(parts[1:]):
        found.append(f"{where} {how}: another app's views")
    return found


def all_violations() -> tuple[list[str], list[str]]:
    by_import, by_string = [], []
    for app, module, path in app_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for line, target in imported_modules(tree, module, is_package):
            by_import.extend(violations(app, module, line, target))
        for line, target in string_lookups(tree):
            by_string.extend(violations(app, module, line, target, by_string=True))
    return sorted(set(by_import)), sorted(set(by_string))


def test_the_apps_are_found():
    """A test that found no modules would pass on anything."""
    apps_seen = {app for app, _, _ in app_modules()}
    assert apps_seen == APPS
    assert len(app_modules()) > 50


def test_no_app_imports_upward_sideways_or_another_apps_views():
    by_import, _ = all_violations()
    assert by_import == [], "imports against cms → rentals, property_services → billing → estates → accounts:\n" + "\n".join(
        by_import
    )


def test_no_app_looks_up_a_higher_app_by_string():
    _, by_string = all_violations()
    assert by_string == [], "string lookups against the direction of imports:\n" + "\n".join(by_string)


# The checker itself, on made-up modules: each rule fails when it should.


def check_source(app: str, module: str, source: str, *, is_package: bool = False) -> list[str]:
    tree = ast.parse(source)
    found = [v for line, target in imported_modules(tree, module, is_package) for v in violations(app, module, line, target)]
    found += [v for line, target in string_lookups(tree) for v in violations(app, module, line, target, by_string=True)]
    return found


@pytest.mark.parametrize(
    ("app", "module", "source"),
    [
        ("estates", "estates.selectors", "from billing.models import Invoice"),
        ("accounts", "accounts.models", "import estates.models"),
        ("billing", "billing.services", "def f():\n    from property_services import models\n"),
        ("billing", "billing.ledger", "from cms.figures import figure_register"),
        ("rentals", "rentals.services", "from property_services.selectors import x"),
        ("property_services", "property_services.services", "from rentals import models"),
        ("cms", "cms.selectors", "from billing.views import invoice_detail"),
        ("cms", "cms.selectors", "from billing import portal_views"),
        ("property_services", "property_services.x", "import estates.admin_views"),
        ("estates", "estates.roles", "from django.apps import apps\napps.get_model('billing', 'Invoice')"),
        ("estates", "estates.roles", "import importlib\nimportlib.import_module('cms.selectors')"),
        ("billing", "billing.dunning", "from django.utils.module_loading import import_string\nimport_string('rentals.sms.X')"),
        ("estates", "estates.migrations.0009_x", "dependencies = [('billing', '0001_initial')]"),
        ("estates", "estates.models", "from django.db import models\nunit = models.ForeignKey('rentals.Lease', on_delete=1)"),
    ],
)
def test_the_checker_catches(app, module, source):
    assert check_source(app, module, source)


@pytest.mark.parametrize(
    ("app", "module", "source"),
    [
        ("cms", "cms.models", "from rentals.models import Listing\nfrom property_services.selectors import x"),
        ("billing", "billing.services", "from estates.models import Unit\nfrom accounts.models import User"),
        ("billing", "billing.urls", "from . import views\nfrom .portal_views import bills"),
        ("billing", "billing.portal.urls", "from ..views import x"),
        ("estates", "estates.selectors", "from django.apps import apps\napps.get_model('accounts', 'User')"),
        ("billing", "billing.migrations.0006_x", "dependencies = [('estates', '0003_owner_representative')]"),
        ("billing", "billing.models", "from django.db import models\nestate = models.ForeignKey('estates.Estate', on_delete=1)"),
    ],
)
def test_the_checker_allows(app, module, source):
    assert check_source(app, module, source) == []


def test_relative_imports_resolve_against_the_package():
    tree = ast.parse("from ..views import invoice_detail\nfrom . import tariffs")
    found = imported_modules(tree, "billing.portal.urls", is_package=False)
    assert (1, "billing.views") in found
    assert (2, "billing.portal.tariffs") in found
    assert (1, "billing.views") in imported_modules(ast.parse("from .views import x"), "billing", is_package=True)
