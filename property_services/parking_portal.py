"""/portal/parking/: an owner's parking permits and the estate's waiting list, in its order.

Civil Code Art. 276: the estate's spaces serve its owners first; the waiting list's order is shown to
every owner of the estate (each entry's position, the day asked and a masked plate), and an owner can
join it here. Another estate's list is not shown.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.portal import PortalSection
from estates.models import Owner

from .models import ParkingPermit, ParkingSpace
from .services.parking import waitlist_join, waitlist_open


def mask_plate(plate: str) -> str:
    """渝A12345 → 渝A1**45: enough to find one's own car, not to follow another's."""
    return plate[:3] + "*" * (len(plate) - 5) + plate[-2:] if len(plate) > 5 else plate


def _owners(user):
    return list(Owner.objects.filter(user=user).select_related("estate").order_by("estate__name", "pk"))


@login_required
def parking_page(request):
    owners = _owners(request.user)
    if request.method == "POST":
        owner = next((o for o in owners if str(o.pk) == request.POST.get("owner")), None)
        if owner is None:
            messages.error(request, _("Choose one of your estates."))
        else:
            try:
                waitlist_join(estate=owner.estate, owner=owner, plate=request.POST.get("plate", ""))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("You are on the waiting list."))
        return redirect("parking_portal:page")
    today = timezone.localdate()
    estates = []
    for owner in owners:
        queue = list(waitlist_open(estate=owner.estate))
        estates.append(
            {
                "estate": owner.estate,
                "owner": owner,
                "permits": list(
                    ParkingPermit.objects.filter(owner=owner, valid_to__gte=today).select_related("space").order_by("valid_from")
                ),
                "queue": [
                    {
                        "position": n,
                        "asked_at": entry.asked_at,
                        "plate": mask_plate(entry.plate),
                        "mine": entry.owner_id == owner.pk,
                    }
                    for n, entry in enumerate(queue, start=1)
                ],
            }
        )
    return render(request, "property_services/portal/parking.html", {"estates": estates})


def parking_section(request):
    """Portal home: a link to the parking page, for owners of an estate with a space register."""
    estate_ids = Owner.objects.filter(user=request.user).values("estate_id")
    if not ParkingSpace.objects.filter(estate_id__in=estate_ids).exists():
        return None
    return PortalSection(template="property_services/portal/parking_section.html", context={"title": gettext_lazy("Parking")})


app_name = "parking_portal"
urlpatterns = [path("", parking_page, name="page")]
