"""Public pages of rental applications: apply for a published listing without an account (the mobile proven by a
one-time code), and the tracking page behind an unguessable link (status, reason, the score's parts, withdraw)."""

from __future__ import annotations

import json
import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .city_rules import city_rules
from .models import ApplicationStatus, IncomeBand
from .personal_data import application_erase, application_record
from .scoring import CATEGORY_LABELS, category_choices, score_of
from .selectors.applications import application_by_token
from .selectors.listings import listings_public
from .services import applications as services


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(FilesField, self).clean(f, initial) for f in files]


class ApplicationForm(forms.Form):
    mobile = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20)
    code = forms.CharField(label=gettext_lazy("One-time code"), max_length=10, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50, required=False)
    id_number = forms.CharField(label=gettext_lazy("Resident ID number"), max_length=18, required=False)
    members = forms.CharField(
        label=gettext_lazy("Other household members (one a line: name, relationship)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    workplace = forms.CharField(label=gettext_lazy("Workplace"), max_length=200, required=False)
    income_band = forms.ChoiceField(label=gettext_lazy("Income band"), choices=IncomeBand.choices, required=False)
    priority_category = forms.ChoiceField(label=gettext_lazy("Priority category"), choices=(), required=False)
    documents = FilesField(
        label=gettext_lazy("Documents (PDF or images, at most 10 MB each)"), required=False, widget=MultipleFileInput()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority_category"].choices = category_choices()


def parse_members(text: str) -> list[dict[str, str]]:
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in re.split(r"[,，、\s]+", line.strip(), maxsplit=1)]
        rows.append({"name": parts[0], "relationship": parts[1] if len(parts) > 1 else ""})
    return rows


def _add_errors(form, exc: ValidationError) -> None:
    errors_by_field = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
    for field, errors in errors_by_field.items():
        form.add_error(field if field in form.fields else None, errors)


def apply(request, pk: int):
    listing = get_object_or_404(listings_public(), pk=pk)
    form = ApplicationForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if request.POST.get("action") == "send_code":
                services.application_send_code(listing=listing, mobile=d["mobile"], address=request.META.get("REMOTE_ADDR"))
                messages.success(request, _("A code was sent to your mobile."))
            else:
                application = services.application_submit(
                    listing=listing,
                    mobile=d["mobile"],
                    code=d["code"],
                    name=d["name"],
                    id_number=d["id_number"],
                    workplace=d["workplace"],
                    income_band=d["income_band"],
                    priority_category=d["priority_category"],
                    members=parse_members(d["members"]),
                    documents=d["documents"],
                )
                return redirect("rentals:application", token=application.token)
        except ValidationError as exc:
            _add_errors(form, exc)
            status = 400
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "rentals/apply.html",
        {"listing": listing, "form": form, "rules": city_rules(), "max_occupants": listing.max_occupants},
        status=status,
    )


def track(request, token: str):
    application = application_by_token(token=token)
    if application is None:
        raise Http404
    return render(
        request,
        "rentals/application.html",
        {
            "application": application,
            "score": score_of(application),
            "category": CATEGORY_LABELS.get(application.priority_category, application.priority_category),
            "can_withdraw": application.status == ApplicationStatus.SUBMITTED,
            "can_erase": application.status != ApplicationStatus.APPROVED and application.mobile_encrypted != "",
        },
    )


@require_POST
def withdraw(request, token: str):
    if application_by_token(token=token) is None:
        raise Http404
    try:
        services.application_withdraw(token=token)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("rentals:application", token=token)


def application_data(request, token: str):
    """The applicant downloads a copy of their application's data (PIPL Art. 45); the private link is their key."""
    application = application_by_token(token=token)
    if application is None:
        raise Http404
    body = json.dumps(application_record(application), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="anju-application.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def application_erase_view(request, token: str):
    """The applicant asks for the deletion of their application's personal data (PIPL Art. 47)."""
    application = application_by_token(token=token)
    if application is None:
        raise Http404
    try:
        application_erase(application=application)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your application's personal data has been deleted."))
    return redirect("rentals:application", token=token)
