"""/portal/records/: an owner asks to inspect a record of their estate (查阅) and follows the answer.

SPC interpretation on building ownership Art. 13: owners may ask for and inspect the records of the
maintenance fund's use and of the use of and income from the common parts. An owner (holding a unit
today) picks one of their estate's records — a published public income statement with its costs'
evidence, a lease of a common part, a use of the fund — with a message and a preferred date; the
manager's answer (a date and place, a copy, or a refusal with its reason) shows here. A person sees
only their own requests, and downloads only the copies made for them.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .forms import InspectionAskForm
from .selectors.inspection import (
    asking_owners_of_user,
    inspectable_records,
    inspection_requests_of_user,
    record_of_estate,
)
from .services.inspection import inspection_ask


@login_required
def records_page(request):
    owners = asking_owners_of_user(user=request.user)
    records = inspectable_records(owners=owners)
    if request.method == "POST":
        form = InspectionAskForm(request.POST, records=records)
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection_ask(
                    owner=form.owner,
                    record=record_of_estate(reference=data["record"], estate_id=form.owner.estate_id),
                    message=data["message"],
                    preferred_on=data["preferred_on"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your request is sent. The answer will show here."))
                return redirect("records_portal:page")
    else:
        form = InspectionAskForm(initial={"record": request.GET.get("record", "")}, records=records)
    return render(
        request,
        "property_services/portal/records.html",
        {
            "form": form,
            "owners": owners,
            "requests": list(inspection_requests_of_user(user=request.user)),
            "answer_days": settings.ANJU_INSPECTION_ANSWER_DAYS,
        },
    )


@login_required
@require_GET
def copy_download(request, pk: int):
    """The copy the manager attached to one of the person's own requests."""
    inspection = get_object_or_404(inspection_requests_of_user(user=request.user), pk=pk)
    if not inspection.copy:
        raise Http404
    return FileResponse(
        inspection.copy.open("rb"), content_type="application/pdf", as_attachment=True, filename=f"copy-{inspection.pk}.pdf"
    )


app_name = "records_portal"
urlpatterns = [
    path("", records_page, name="page"),
    path("<int:pk>/copy.pdf", copy_download, name="copy"),
]
