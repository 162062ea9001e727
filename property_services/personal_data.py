"""property_services' part of a person's data (PIPL Art. 45): repairs they reported, parking permits and waiting-list
places of their owner records, and the ballots they cast."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import Ballot, ParkingPermit, WorkOrder


def export(user):
    records: list[dict] = [
        {
            _("work order"): order.number,
            _("description"): order.description,
            _("status"): order.get_status_display(),
            _("reported at"): order.submitted_at,
        }
        for order in WorkOrder.objects.filter(reporter=user).order_by("pk")
    ]
    records += [
        {
            _("parking permit"): permit.plate,
            _("valid from"): permit.valid_from,
            _("valid to"): permit.valid_to,
        }
        for permit in ParkingPermit.objects.filter(owner__user=user).order_by("pk")
    ]
    records += [
        {
            _("ballot"): str(ballot.matter),
            _("choice"): ballot.get_choice_display(),
            _("cast at"): ballot.cast_at,
        }
        for ballot in Ballot.objects.filter(owner__user=user).select_related("matter").order_by("pk")
    ]
    return _("Repairs, parking and votes"), records
