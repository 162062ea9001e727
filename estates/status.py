"""The one way a status changes: a transition table per model and ``transition()``.

Each model with a status declares a ``StatusFlow`` once (its table of allowed moves and its history
model, a subclass of ``StatusChange``) and registers it. ``transition()`` then

1. refuses a move the table does not list (including a move to the same status),
2. updates the row only if it still has the status the caller saw (``filter(pk, status=old)
   .update(...)``), so two workers racing for the same row cannot both win,
3. writes the history row (who, when, from, to, why).

Nothing else writes a status: a test scans the code for writes outside this module. Bills, payment
attempts, billing runs, assemblies, decisions, notices and every later status (work orders, leases,
applications) go through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from accounts.errors import bilingual


class StatusChange(models.Model):
    """One change of one object's status: from what to what, by whom, when and why.

    Concrete subclasses add the foreign key to their object (named by the flow's ``subject``) and may
    override ``from_status``/``to_status`` to add their choices.
    """

    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    # History rows are written with every change and only ever listed under their object: Wagtail's
    # reference index ("usage" of an object) has nothing to gain from them, and writing it costs
    # queries on every change.
    wagtail_reference_index_ignore = True

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


class IllegalTransitionError(ValidationError):
    """A move the model's transition table does not list (code ``illegal_transition``)."""


class StatusChangedError(ValidationError):
    """The row no longer has the status the caller saw: someone else moved it (code ``status_changed``)."""


@dataclass(frozen=True)
class StatusFlow:
    """A model's statuses: which moves are allowed, and where their history goes."""

    model: type[models.Model]
    history: type[StatusChange]
    subject: str  # the history model's foreign key to ``model``
    transitions: Mapping[str, frozenset[str]]
    field: str = "status"
    noun_zh: str = "记录"
    noun_en: str = "record"
    choices: type[models.TextChoices] | None = None

    def allowed(self, from_status: str, to_status: str) -> bool:
        return to_status in self.transitions.get(from_status, frozenset())

    def label(self, status: str) -> str:
        if self.choices is not None:
            try:
                return str(self.choices(status).label)
            except ValueError:
                pass
        return status


_FLOWS: dict[type[models.Model], StatusFlow] = {}


def register_flow(flow: StatusFlow) -> StatusFlow:
    """Declare a model's flow once (in the module that defines its statuses)."""
    statuses = set(flow.transitions)
    for targets in flow.transitions.values():
        missing = set(targets) - statuses
        if missing:
            raise ValueError(f"{flow.model.__name__}: transitions name statuses with no row: {sorted(missing)}")
    if flow.choices is not None and statuses != {c.value for c in flow.choices}:
        raise ValueError(f"{flow.model.__name__}: the transition table and the status choices differ")
    _FLOWS[flow.model] = flow
    return flow


def flow_for(model: type[models.Model]) -> StatusFlow:
    try:
        return _FLOWS[model._meta.concrete_model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no registered status flow") from None


def registered_flows() -> list[StatusFlow]:
    return list(_FLOWS.values())


def _illegal(flow: StatusFlow, current: str, to: str) -> IllegalTransitionError:
    return IllegalTransitionError(
        bilingual(
            f"{flow.noun_zh}当前状态为“{flow.label(current)}”，不能变为“{flow.label(to)}”",
            f"A {flow.noun_en} that is {current} cannot become {to}.",
        ),
        code="illegal_transition",
    )


def _raced(flow: StatusFlow) -> StatusChangedError:
    return StatusChangedError(
        bilingual(
            f"{flow.noun_zh}的状态已被他人更改，请刷新后重试",
            f"Someone else changed this {flow.noun_en}; reload and try again.",
        ),
        code="status_changed",
    )


def _who(by: Any):
    return by if getattr(by, "pk", None) else None


@transaction.atomic
def transition(obj: models.Model, *, to: str, by: Any = None, note: str = "", **changes: Any) -> StatusChange:
    """Move ``obj`` to status ``to`` (saving ``changes`` with it) and record the change.

    Raises a ValidationError (code ``illegal_transition``) for a move the table does not list, and
    one with code ``status_changed`` when the row no longer has the status ``obj`` holds (another
    request got there first). ``obj`` is updated in memory on success.
    """
    flow = flow_for(type(obj))
    current = getattr(obj, flow.field)
    to = str(to)
    if not flow.allowed(current, to):
        raise _illegal(flow, current, to)
    updated = flow.model._default_manager.filter(pk=obj.pk, **{flow.field: current}).update(**{flow.field: to}, **changes)
    if updated != 1:
        raise _raced(flow)
    setattr(obj, flow.field, to)
    for name, value in changes.items():
        setattr(obj, name, value)
    return flow.history._default_manager.create(
        **{flow.subject: obj}, from_status=current, to_status=to, by=_who(by), note=note[:200]
    )


@transaction.atomic
def transition_many(
    objs: Iterable[models.Model],
    *,
    to: str,
    by: Any = None,
    note: str = "",
    note_for: Callable[[models.Model], str] | None = None,
    **changes: Any,
) -> int:
    """The same move for many rows of one model at once (e.g. nightly overdue marking, a batch of payments).

    Every row is checked against the table first; then one guarded update per starting status (saving
    ``changes``, the same for every row) and one history row each, its note ``note_for(obj)`` when given.
    Raises like ``transition``; nothing is written if any row is refused or raced.
    """
    objs = list(objs)
    if not objs:
        return 0
    flow = flow_for(type(objs[0]))
    to = str(to)
    by_status: dict[str, list[models.Model]] = {}
    for obj in objs:
        current = getattr(obj, flow.field)
        if not flow.allowed(current, to):
            raise _illegal(flow, current, to)
        by_status.setdefault(current, []).append(obj)
    manager = flow.model._default_manager
    for current, group in by_status.items():
        pks = [obj.pk for obj in group]
        if manager.filter(pk__in=pks, **{flow.field: current}).update(**{flow.field: to}, **changes) != len(pks):
            raise _raced(flow)
    rows = [
        flow.history(
            **{flow.subject: obj},
            from_status=current,
            to_status=to,
            by=_who(by),
            note=(note_for(obj) if note_for is not None else note)[:200],
        )
        for current, group in by_status.items()
        for obj in group
    ]
    flow.history._default_manager.bulk_create(rows)
    for obj in objs:
        setattr(obj, flow.field, to)
        for name, value in changes.items():
            setattr(obj, name, value)
    return len(objs)
