"""Every change to property-services data goes through here, one module per subdomain.

Errors people read come from ``accounts.errors.refuse`` (Chinese first, then English). Statuses
change only through ``estates.status.transition``. Slow work (PDF rendering) runs in django-q
tasks queued after commit; see tasks.py.
"""

from .arrangements import (
    DISMISSAL_NOTICE_DAYS,
    arrangement_start,
    arrangement_update_details,
    arrangement_validate,
    provider_save,
)
from .assemblies import (
    RESULT_NOTICE_DAYS,
    AssemblyPowers,
    assembly_call,
    assembly_caller_check,
    assembly_create,
    assembly_delete,
    assembly_powers,
    assembly_publisher_check,
    assembly_result_publish,
    assembly_validate_dates,
    assembly_validate_scope,
)
from .ballots import assembly_vote, ballot_record, voter_designate
from .committee import committee_roles_revoke_ended, committee_save, committee_validate
from .meetings import (
    SUMMARY_NOTICE_DAYS,
    decision_transition,
    joint_meeting_minutes_store,
    joint_meeting_save,
    joint_meeting_summary_publish,
)
from .notices import notice_attach_pdf, notice_publish, notice_release, notice_save, notice_withdraw

__all__ = [
    "DISMISSAL_NOTICE_DAYS",
    "RESULT_NOTICE_DAYS",
    "SUMMARY_NOTICE_DAYS",
    "AssemblyPowers",
    "arrangement_start",
    "arrangement_update_details",
    "arrangement_validate",
    "assembly_call",
    "assembly_caller_check",
    "assembly_create",
    "assembly_delete",
    "assembly_powers",
    "assembly_publisher_check",
    "assembly_result_publish",
    "assembly_validate_dates",
    "assembly_validate_scope",
    "assembly_vote",
    "ballot_record",
    "committee_roles_revoke_ended",
    "committee_save",
    "committee_validate",
    "decision_transition",
    "joint_meeting_minutes_store",
    "joint_meeting_save",
    "joint_meeting_summary_publish",
    "notice_attach_pdf",
    "notice_publish",
    "notice_release",
    "notice_save",
    "notice_withdraw",
    "provider_save",
    "voter_designate",
]
