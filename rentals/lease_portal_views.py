"""The tenant's leases in the portal: their own only (404 for anyone else's), with the PDF and the way to the rent
bills."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import DepositCase, LeaseStatus
from .pdf import lease_pdf
from .selectors.leases import leases_of_tenant


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
        },
    )


@login_required
@require_GET
def lease_download(request, pk: int):
    row = get_object_or_404(leases_of_tenant(user=request.user), pk=pk)
    response = HttpResponse(lease_pdf(lease=row), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{row.number}.pdf"'
    return response
