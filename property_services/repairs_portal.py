"""/portal/repairs/: residents report repairs and complaints (报修/投诉) and follow, confirm and rate them.

A resident — an owner holding a unit today, or a tenant or household member registered in a unit — reports
with a category, a location (one of their units, a building of their estate, or a common area in words),
a description and photos. They see their own orders and those of their estate's buildings and common areas,
never another household's; only the reporter confirms, rejects (reopening it) and rates.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.portal import PortalSection
from estates.models import Building
from estates.selectors import current_ownerships_of

from .models import WorkOrderPhoto, WorkOrderStatus
from .selectors.work_orders import categories_for_resident, resident_units, work_orders_of_resident
from .services.work_orders import (
    work_order_confirm,
    work_order_rate,
    work_order_reject,
    work_order_report,
)


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; each is checked by content in the service."""

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files]


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"))
    where = forms.ChoiceField(label=gettext_lazy("Where"))
    place = forms.CharField(
        label=gettext_lazy("Place"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("For a building or a common area: where exactly, e.g. the stairwell of entrance 2."),
    )
    paid = forms.BooleanField(
        label=gettext_lazy("Paid repair inside my home"),
        required=False,
        help_text=gettext_lazy("Repairs of common parts are free for residents."),
    )
    description = forms.CharField(label=gettext_lazy("What is wrong"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    photos = PhotosField(
        label=gettext_lazy("Photos"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, categories, units, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {str(c.pk): c for c in categories}
        self.fields["category"].choices = [("", "—")] + [(str(c.pk), f"{c.estate.name} · {c.name}") for c in categories]
        self.units = {f"unit-{u.pk}": u for u in units}
        self.buildings = {f"building-{b.pk}": b for b in buildings}
        self.estates = {f"common-{b.estate_id}": b.estate for b in buildings}
        common_area = _("Common area")
        self.fields["where"].choices = (
            [(k, _("My home %(unit)s") % {"unit": u.key}) for k, u in self.units.items()]
            + [(k, f"{b.estate.name} · {_('Building %(number)s') % {'number': b.number}}") for k, b in self.buildings.items()]
            + [(k, f"{e.name} · {common_area}") for k, e in self.estates.items()]
        )

    def location(self) -> dict:
        where = self.cleaned_data["where"]
        return {
            "unit": self.units.get(where),
            "building": self.buildings.get(where),
            "place": self.cleaned_data.get("place", ""),
        }


def _report_form(request, data=None, files=None):
    units = list(resident_units(user=request.user))
    buildings = Building.objects.filter(estate__in={u.building.estate_id for u in units}).select_related("estate")
    return ReportForm(
        data,
        files,
        categories=list(categories_for_resident(user=request.user)),
        units=units,
        buildings=list(buildings.order_by("estate__name", "number")),
    )


@login_required
def repairs_page(request):
    if request.method == "POST":
        form = _report_form(request, request.POST, request.FILES)
        if form.is_valid():
            try:
                order = work_order_report(
                    user=request.user,
                    category=form.categories[form.cleaned_data["category"]],
                    description=form.cleaned_data["description"],
                    paid=form.cleaned_data["paid"],
                    photos=form.cleaned_data["photos"],
                    **form.location(),
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(request, _("Your report %(number)s is sent.") % {"number": order.number})
                return redirect("repairs_portal:order", pk=order.pk)
    else:
        form = _report_form(request)
    return render(
        request,
        "property_services/portal/repairs.html",
        {
            "form": form,
            "orders": list(work_orders_of_resident(user=request.user)[:100]),
            "max_photos": settings.ANJU_WORK_ORDER_MAX_PHOTOS,
        },
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("What is still wrong"), max_length=200)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Rating"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)], widget=forms.RadioSelect
    )
    rating_reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Required for a rating of 1 or 2: the manager calls you back."),
    )


@login_required
def order_page(request, pk: int):
    order = get_object_or_404(work_orders_of_resident(user=request.user).prefetch_related("photos"), pk=pk)
    mine = order.reporter_id == request.user.pk
    reject_form, rate_form = RejectForm(), RateForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                work_order_confirm(order=order, by=request.user)
                messages.success(request, _("Thank you: the order is confirmed."))
                return redirect("repairs_portal:order", pk=order.pk)
            if action == "reject":
                reject_form = RejectForm(request.POST)
                if reject_form.is_valid():
                    work_order_reject(order=order, by=request.user, reason=reject_form.cleaned_data["reason"])
                    messages.success(request, _("The order is reopened."))
                    return redirect("repairs_portal:order", pk=order.pk)
            elif action == "rate":
                rate_form = RateForm(request.POST)
                if rate_form.is_valid():
                    work_order_rate(
                        order=order,
                        by=request.user,
                        rating=rate_form.cleaned_data["rating"],
                        reason=rate_form.cleaned_data["rating_reason"],
                    )
                    messages.success(request, _("Thank you for your rating."))
                    return redirect("repairs_portal:order", pk=order.pk)
        except ValidationError as exc:
            target = rate_form if action == "rate" else reject_form
            target.add_error(None, exc.messages[0] if exc.messages else str(exc))
            messages.error(request, " ".join(exc.messages))
        status = 400
    else:
        status = 200
    return render(
        request,
        "property_services/portal/repair_order.html",
        {
            "order": order,
            "history": order.status_changes.select_related("by").order_by("at", "pk"),
            "can_answer": mine and order.status == WorkOrderStatus.RESOLVED,
            "can_rate": mine and order.rating is None and order.status in (WorkOrderStatus.CONFIRMED, WorkOrderStatus.CLOSED),
            "reject_form": reject_form,
            "rate_form": rate_form,
        },
        status=status,
    )


@login_required
@require_GET
def photo(request, pk: int):
    """A photo of an order the person may see."""
    row = get_object_or_404(WorkOrderPhoto.objects.filter(order__in=work_orders_of_resident(user=request.user)), pk=pk)
    return FileResponse(row.image.open("rb"), content_type=row.content_type)


def repairs_section(request):
    """Portal home: report a repair, for anyone living in or owning a unit today."""
    # An owner of a flat today is a resident (resident_units); others may live in one without owning it.
    if not current_ownerships_of(request) and not resident_units(user=request.user).exists():
        return None
    return PortalSection(
        template="property_services/portal/repairs_section.html", context={"title": gettext_lazy("Repairs and complaints")}
    )


app_name = "repairs_portal"
urlpatterns = [
    path("", repairs_page, name="page"),
    path("<int:pk>/", order_page, name="order"),
    path("photo/<int:pk>/", photo, name="photo"),
]
