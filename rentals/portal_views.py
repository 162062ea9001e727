"""The owner's side of 存房 in the portal. An owner sees only their own entrustments (404 for anyone else's)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.portal import PortalSection
from estates.selectors import current_ownerships_of

from .models import AgreementStatus, EntrustmentStatus
from .pdf import agreement_pdf
from .recovery import schedule_rows
from .selectors.entrustments import entrustments_of_owner, units_owned_by
from .services.entrustments import entrustment_accept, entrustment_apply, entrustment_decline, entrustment_withdraw


class EntrustForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("Flat"))
    vacant_from = forms.DateField(label=gettext_lazy("Vacant from"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        label=gettext_lazy("Anything the surveyor should know"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in units}
        self.fields["unit"].choices = [(k, f"{u.building.estate.name} {u.key}") for k, u in self.units.items()]


@login_required
def page(request):
    return render(
        request,
        "rentals/portal/page.html",
        {
            "entrustments": list(entrustments_of_owner(user=request.user)[:50]),
            "may_entrust": units_owned_by(user=request.user, on=timezone.localdate()).exists(),
        },
    )


@login_required
def entrust(request):
    units = list(units_owned_by(user=request.user, on=timezone.localdate()))
    if not units:
        raise Http404
    form = EntrustForm(request.POST or None, units=units)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                entrustment = entrustment_apply(
                    user=request.user,
                    unit=form.units[form.cleaned_data["unit"]],
                    vacant_from=form.cleaned_data["vacant_from"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages[0])
            else:
                messages.success(request, _("Your application is sent. The estate's staff will arrange a survey."))
                return redirect("rentals_portal:entrustment", pk=entrustment.pk)
    return render(request, "rentals/portal/entrust.html", {"form": form}, status=status)


ACTIONS = {"accept": entrustment_accept, "decline": entrustment_decline, "withdraw": entrustment_withdraw}


@login_required
def detail(request, pk: int):
    entrustment = get_object_or_404(entrustments_of_owner(user=request.user), pk=pk)
    status = 200
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return HttpResponse(status=400)
        try:
            action(entrustment=entrustment, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(request, _("Saved."))
            return redirect("rentals_portal:entrustment", pk=entrustment.pk)
    agreement = getattr(entrustment, "agreement", None)
    return render(
        request,
        "rentals/portal/entrustment.html",
        {
            "entrustment": entrustment,
            "agreement": agreement,
            "schedule": schedule_rows(agreement.recovery_schedule) if agreement else [],
            "history": entrustment.status_changes.order_by("at", "pk"),
            "can_answer": entrustment.status == EntrustmentStatus.OFFERED,
            "can_withdraw": entrustment.status
            in (EntrustmentStatus.APPLIED, EntrustmentStatus.SURVEYED, EntrustmentStatus.OFFERED),
            "has_pdf": agreement is not None and agreement.status != AgreementStatus.CANCELLED,
            "has_statements": agreement is not None
            and agreement.status in (AgreementStatus.ACTIVE, AgreementStatus.ENDED, AgreementStatus.RETURNED_EARLY),
        },
        status=status,
    )


@login_required
@require_GET
def agreement_download(request, pk: int):
    entrustment = get_object_or_404(entrustments_of_owner(user=request.user), pk=pk)
    agreement = getattr(entrustment, "agreement", None)
    if agreement is None or agreement.status == AgreementStatus.CANCELLED:
        raise Http404
    response = HttpResponse(agreement_pdf(agreement=agreement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{agreement.number}.pdf"'
    return response


def owner_section(request):
    """Portal home: entrust a vacant flat, for anyone holding a flat today or with entrustments of their own."""
    user = request.user
    if not user.is_authenticated:
        return None
    today = timezone.localdate()
    holds_today = any(ownership.since <= today for ownership in current_ownerships_of(request))  # no end date: held today
    if not (holds_today or units_owned_by(user=user, on=today).exists() or entrustments_of_owner(user=user).exists()):
        return None
    return PortalSection(template="rentals/portal/section.html", context={"title": gettext_lazy("Entrust a vacant flat")})
