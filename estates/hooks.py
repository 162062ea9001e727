"""Hooks that higher apps register to hear about changes of the inventory they show elsewhere.

The estates app never names the apps above it (DESIGN.md: registration, not naming). The public
site shows a renovation project's facts on its case studies and indexes them for search; it
registers a listener here in its AppConfig.ready(), and the code that changes a project (the
back-office screens, the services) calls ``project_facts_changed`` after the change. Listeners run
after the transaction commits, so they never see, or act on, a change that was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

ProjectFactsListener = Callable[..., object]

_project_facts_listeners: dict[str, ProjectFactsListener] = {}


def project_facts_listener_register(name: str, listener: ProjectFactsListener) -> None:
    """``listener(project_ids=[...])`` is called after commit whenever those projects' facts changed.

    Registering the same name again replaces the listener (AppConfig.ready() may run twice)."""
    _project_facts_listeners[name] = listener


def project_facts_changed(*, project_ids: Iterable[int]) -> None:
    """Tell the listeners, once the current transaction commits, that these projects changed.

    A project's facts are its own fields, its content items and funding lines, and its estate's
    name and address."""
    ids = sorted({int(pk) for pk in project_ids if pk})
    if not ids:
        return
    listeners = list(_project_facts_listeners.values())

    def notify() -> None:
        for listener in listeners:
            listener(project_ids=ids)

    transaction.on_commit(notify, robust=True)
