"""estates' part of a person's data (PIPL Art. 45) and of the log of full views of personal data."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.personal_data import AccessRow

from .models import Owner, Ownership, PersonalDataAccess


def export(user):
    """The owner records linked to the person's login, with their full ID number and phone (their own data), and the
    flats they hold or held."""
    owners = list(Owner.objects.filter(user=user).select_related("estate").order_by("pk"))
    ownerships = Ownership.objects.filter(owner__in=owners).select_related("unit__building__estate").order_by("pk")
    records = [
        {
            _("estate"): owner.estate.name,
            _("name"): owner.name,
            _("ID number"): owner.get_id_number() if owner.id_number_encrypted else "",
            _("phone"): owner.get_phone() if owner.phone_encrypted else "",
            _("unified social credit code"): owner.credit_code,
        }
        for owner in owners
    ]
    records += [
        {
            _("flat"): f"{o.unit.building.estate.name} {o.unit.key}",
            _("share"): o.share,
            _("since"): o.since,
            _("until"): o.until,
        }
        for o in ownerships
    ]
    return _("Owner records and flats"), records


def access_log(limit: int) -> list[AccessRow]:
    rows = PersonalDataAccess.objects.select_related("user").order_by("-at")[:limit]
    return [
        AccessRow(
            at=row.at,
            viewer=f"{row.user.masked_mobile} {row.user.name}".strip(),
            subject=_("owner #%(id)s") % {"id": row.owner_id},
            field=row.field,
            reason=row.reason,
        )
        for row in rows
    ]
