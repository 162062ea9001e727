"""``inventory_import``: read, check, then write all of it or nothing."""

from __future__ import annotations

from django.db import DatabaseError, IntegrityError

from .planning import Planner
from .report import ImportReport, file_error
from .workbook import read_workbook
from .writing import plan_write


def inventory_import(*, file, user=None) -> ImportReport:
    """Import a workbook (path, bytes or binary file object): all of it, or, if anything is wrong, nothing.

    ``user`` is the back-office user whose scope limits what may be touched; ``None`` (the
    management command) has full access. See the module docstring for the layout and the rules.
    """
    report = ImportReport()
    sheets = read_workbook(file, report.errors)
    if sheets is None:
        return report
    if not report.errors and not any(sheet.rows for sheet in sheets.values()):
        report.errors.append(file_error("文件中没有数据行", "the file contains no data rows"))
        return report
    plan = Planner(sheets, user, report.errors).run()
    if report.errors:
        order = {sheet.title: position for position, sheet in enumerate(sheets.values(), start=1)}
        report.errors.sort(key=lambda e: (order.get(e.sheet, 0), e.row or 0, len(e.column or ""), e.column or ""))
        return report
    try:
        plan_write(plan)
    except (IntegrityError, DatabaseError):
        # Validation passed, so another import or edit changed the same rows meanwhile.
        report.errors.append(
            file_error(
                "数据库在导入期间被修改（例如同时有另一次导入），未写入任何数据，请重试",
                "the database changed during the import (another import at the same time?); nothing was written, please try again",
            )
        )
        return report
    report.created.update(
        estates=len(plan.estate_new),
        buildings=len(plan.building_new),
        units=len(plan.unit_new),
        owners=len(plan.owner_new),
        ownerships=len(plan.ownership_new),
    )
    report.updated.update(
        estates=len(plan.estate_update),
        buildings=len(plan.building_update),
        units=len(plan.unit_update),
        owners=len(plan.owner_update),
        ownerships=len(plan.ownership_lower) + len(plan.ownership_other),
    )
    return report
