"""The tenant's leases in the portal: their own only (404 for anyone else's), with the PDF and the way to the rent
bills."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from .models import DepositCase, LeaseStatus
from .pdf import lease_pdf
from .selectors.leases import leases_of_tenant
from .services.leases import lease_notice_by_tenant


class TenantNoticeForm(forms.Form):
    terminates_on = forms.DateField(
        label=gettext_lazy("Last day you will live there"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


@login_required
@require_GET
def leases(request):
    return render(request, "rentals/portal/leases.html", {"leases": list(leases_of_tenant(user=request.user)[:50])})


@login_required
@require_GET
def lease(request, pk: int):
    row = get_object_or_404(leases_of_tenant(user=request.user), pk=pk)
    return render(
        request,
        "rentals/portal/lease.html",
        {
            "lease": row,
            "cases": [DepositCase(c).label for c in row.deposit_cases if c in DepositCase.values],
            "under_notice": row.status == LeaseStatus.NOTICE,
            "can_give_notice": row.status == LeaseStatus.ACTIVE,
            "notice_form": TenantNoticeForm(),
        },
    )


@login_required
@require_POST
def give_notice(request, pk: int):
    """The tenant gives notice to end the lease early (at least the lease's notice days ahead)."""
    row = get_object_or_404(leases_of_tenant(user=request.user), pk=pk)
    form = TenantNoticeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("rentals_portal:lease", pk=row.pk)
    try:
        lease_notice_by_tenant(lease=row, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your notice is recorded. You keep every right of the lease until the day you gave."))
    return redirect("rentals_portal:lease", pk=row.pk)


@login_required
@require_GET
def lease_download(request, pk: int):
    row = get_object_or_404(leases_of_tenant(user=request.user), pk=pk)
    response = HttpResponse(lease_pdf(lease=row), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{row.number}.pdf"'
    return response
