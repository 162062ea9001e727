"""Every change to the estate inventory goes through here."""

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from .hooks import project_facts_changed
from .models import Owner, OwnerKind, Ownership, PersonalDataAccess, RenovationProject, RoleAssignment, Unit
from .roles import BACK_OFFICE
from .status import transition
from .validators import normalise_resident_id, validate_resident_id, validate_uscc


@transaction.atomic
def owner_save(*, owner: Owner, id_number: str | None = None, phone: str | None = None) -> Owner:
    """Validate and store an owner; a given ID number or phone replaces the stored one."""
    if id_number is not None and id_number != "":
        if owner.kind != OwnerKind.PERSON:
            raise ValidationError({"id_number": _("Only a person has a resident ID number.")})
        id_number = normalise_resident_id(id_number)
        validate_resident_id(id_number)
        owner.set_id_number(id_number)
    if owner.kind == OwnerKind.ORGANISATION:
        owner.credit_code = (owner.credit_code or "").strip().upper()
        validate_uscc(owner.credit_code)
    if phone is not None and phone != "":
        owner.set_phone(phone)
    owner.full_clean(exclude=["user"])
    owner.save()
    return owner


@transaction.atomic
def ownership_add(*, unit: Unit, owner: Owner, share: Decimal, since, until=None) -> Ownership:
    """Record title to a unit; the unit's current shares may not exceed one."""
    if owner.estate_id != unit.building.estate_id:
        raise ValidationError(_("The owner is registered in another estate than the unit."))
    Unit.objects.select_for_update().filter(pk=unit.pk).first()  # serialise share changes per unit
    if until is None:
        held = Ownership.objects.filter(unit=unit, until__isnull=True).aggregate(s=Sum("share"))["s"] or Decimal(0)
        if held + share > 1:
            raise ValidationError(
                _("The current shares of unit %(unit)s would add up to %(total)s, more than 1.")
                % {"unit": unit.key, "total": held + share}
            )
    ownership = Ownership(unit=unit, owner=owner, share=share, since=since, until=until)
    ownership.full_clean()
    ownership.save()
    return ownership


@transaction.atomic
def role_grant(*, user, role: str, district=None, subdistrict=None, estate=None) -> RoleAssignment:
    """Give a user a role with its scope, and back-office access where the role has it."""
    assignment, _created = RoleAssignment.objects.get_or_create(
        user=user, role=role, district=district, subdistrict=subdistrict, estate=estate
    )
    from django.contrib.auth.models import Group

    group = Group.objects.filter(name=role).first()
    if group is not None:
        user.groups.add(group)
    if role in BACK_OFFICE and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return assignment


@transaction.atomic
def role_revoke(*, user, role: str, district=None, subdistrict=None, estate=None) -> bool:
    """Take a scoped role away; the role's group and back-office access go with the user's last grant of them.

    Returns whether there was a grant to take away. Superusers keep back-office access.
    """
    deleted, _rows = RoleAssignment.objects.filter(
        user=user, role=role, district=district, subdistrict=subdistrict, estate=estate
    ).delete()
    if not deleted:
        return False
    from django.contrib.auth.models import Group

    remaining = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    if role not in remaining:
        group = Group.objects.filter(name=role).first()
        if group is not None:
            user.groups.remove(group)
    if user.is_staff and not user.is_superuser and not (remaining & set(BACK_OFFICE)):
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    return True


def owner_reveal_personal_data(*, owner: Owner, viewer, field: str, reason: str) -> str:
    """Return one protected field in full, and log who saw it and why (PIPL)."""
    if field not in ("id_number", "phone"):
        raise ValueError(field)
    if not reason.strip():
        raise ValidationError(_("Give a reason for viewing personal data."))
    PersonalDataAccess.objects.create(user=viewer, owner=owner, field=field, reason=reason.strip()[:200])
    return owner.get_id_number() if field == "id_number" else owner.get_phone()


def renovation_project_status_change(*, project: RenovationProject, to: str, by=None, note: str = "") -> RenovationProject:
    """Move a renovation project to status ``to`` through the status module (estates.statuses lists
    the moves); raises ValidationError for a move the table does not list or a project changed meanwhile.
    Case studies that show the project are told after commit."""
    transition(project, to=to, by=by, note=note)
    project_facts_changed(project_ids=[project.pk])
    return project


@transaction.atomic
def renovation_project_edit(
    *, project: RenovationProject, save_facts: Callable[[], RenovationProject], by=None
) -> RenovationProject:
    """Store an edited project: its facts as edited (``save_facts`` saves the form with its content items
    and funding lines), its status only through the status table.

    ``project`` carries the edited values; the status stored stays as it is until the move is checked
    and recorded. A refused move is a ValidationError on the status field, and nothing is saved.
    """
    wanted = project.status
    RenovationProject.objects.select_for_update().filter(pk=project.pk).first()  # the status we move from
    project.refresh_from_db(fields=["status"])
    project = save_facts()
    if wanted != project.status:
        try:
            renovation_project_status_change(project=project, to=wanted, by=by)
        except ValidationError as exc:
            raise ValidationError({"status": exc.error_list}) from exc
    return project
