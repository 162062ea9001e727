"""The transition table of estates' statuses: renovation projects.

A project's status changes only through ``estates.status.transition`` (the service
``renovation_project_status_change``), which refuses a move not listed here, updates the row only if it
still has the status the caller saw, and writes the history row. Registered by ``EstatesConfig.ready``.
A project is created with any status (one entered after the fact is completed from the start); the
table governs changes after that.
"""

from __future__ import annotations

from .models import ProjectStatus, RenovationProject, RenovationProjectStatusChange
from .status import StatusFlow, register_flow

P = ProjectStatus
# from → the statuses a project may move to.
#  - planned → completed: works recorded only once they were accepted.
#  - in_progress → planned: works postponed, or marked started by mistake.
#  - completed → in_progress: the acceptance is withdrawn (e.g. a lift fails its inspection).
#  - completed → planned is refused: a finished project never goes back into the plan.
PROJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    P.PLANNED: frozenset({P.IN_PROGRESS, P.COMPLETED}),
    P.IN_PROGRESS: frozenset({P.COMPLETED, P.PLANNED}),
    P.COMPLETED: frozenset({P.IN_PROGRESS}),
}

PROJECT_FLOW = StatusFlow(
    model=RenovationProject,
    history=RenovationProjectStatusChange,
    subject="project",
    transitions=PROJECT_TRANSITIONS,
    noun_zh="改造项目",
    noun_en="renovation project",
    choices=ProjectStatus,
)


def register_estates_flows() -> None:
    register_flow(PROJECT_FLOW)
