"""Issue 11: one scoped back office and one status module, for every app now and every app to come.

- Every back-office ModelViewSet of our apps is built on ``estates.admin_scoping.ScopedModelViewSet``
  and its model has a scope (an estate, a path, or a registered rule), so no screen can list another
  estate's records by forgetting to scope them.
- No app code writes a status field except ``estates/status.py``: every status change goes through
  ``transition()`` (guarded update + history row). The scan reads the code with ``ast``, so it sees
  assignments, ``.update(status=...)`` and ``setattr(..., "status", ...)`` however they are laid out.
- Every model with a status field has a registered flow whose table matches its choices.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from wagtail.admin.viewsets.model import ModelViewSet

from estates.admin_scoping import ScopedModelViewSet
from estates.selectors import has_scope
from estates.status import flow_for

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "estates", "billing", "property_services", "rentals", "cms"]
STATUS_FIELDS = {"status", "is_published"}
STATUS_MODULE = ROOT / "estates" / "status.py"


def _our_model_viewsets() -> list[ModelViewSet]:
    reverse("wagtailadmin_home")  # loads the admin URLconf, which registers every viewset
    from wagtail.admin.viewsets import viewsets

    # Our own screens (Wagtail's own, e.g. its user admin for our User model, are Wagtail's business).
    return [vs for vs in viewsets.viewsets if isinstance(vs, ModelViewSet) and type(vs).__module__.split(".")[0] in APPS]


def test_every_back_office_screen_of_our_apps_stands_on_the_scoped_base():
    viewsets = _our_model_viewsets()
    assert len(viewsets) >= 20, [type(vs).__name__ for vs in viewsets]
    not_scoped = [type(vs).__name__ for vs in viewsets if not isinstance(vs, ScopedModelViewSet)]
    assert not_scoped == []
    without_scope = [vs.model.__name__ for vs in viewsets if not has_scope(vs.model)]
    assert without_scope == []


def _status_writes(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in STATUS_FIELDS:
                found.append(f"{path.relative_to(root)}:{node.lineno} assigns .{target.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "update" and any(kw.arg in STATUS_FIELDS for kw in node.keywords):
                found.append(f"{path.relative_to(root)}:{node.lineno} .update(status=...)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value in STATUS_FIELDS:
                found.append(f"{path.relative_to(root)}:{node.lineno} setattr(..., {node.args[1].value!r})")
    return found


def test_no_code_but_the_status_module_writes_a_status():
    files = [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path != STATUS_MODULE
    ]
    assert len(files) > 50
    writes = [write for path in files for write in _status_writes(path)]
    assert writes == []


def test_the_scan_sees_each_way_of_writing_a_status(tmp_path):
    """The scan above must be able to fail: each way of writing a status is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "bill.status = 'paid'\n"
        "Invoice.objects.filter(pk=1).update(\n    paid_amount=0,\n    status='open',\n)\n"
        "setattr(notice, 'is_published', True)\n"
        "notice.is_published: bool = False\n",
        encoding="utf-8",
    )
    assert len(_status_writes(sample, root=tmp_path)) == 4


@pytest.mark.parametrize(
    "model",
    [
        model
        for model in apps.get_models()
        if model._meta.app_label in APPS
        and not model._meta.abstract
        and any(field.name == "status" and field.choices for field in model._meta.get_fields() if hasattr(field, "choices"))
        and not model.__name__.endswith("StatusChange")
    ],
    ids=lambda model: model.__name__,
)
def test_every_model_with_a_status_has_one_registered_flow(model):
    flow = flow_for(model)
    field = model._meta.get_field(flow.field)
    assert set(flow.transitions) == {value for value, _label in field.choices}
    assert flow.history._meta.get_field(flow.subject).related_model is model
