"""The tenant's deposit settlement in the portal: the PDF of their own lease's settlement only (404 otherwise)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from .models import DepositSettlement, Lease
from .rent_views import pdf_response


@login_required
@require_GET
def deposit_pdf(request, pk: int):
    lease = get_object_or_404(Lease.objects.filter(tenant_user=request.user), pk=pk)
    settlement = (
        DepositSettlement.objects.filter(lease=lease).select_related("lease__estate", "lease__unit", "lease__hand_back").first()
    )
    if settlement is None:
        raise Http404
    return pdf_response(settlement)
