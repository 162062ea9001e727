"""Back office of 存房 (Wagtail ViewSets on the shared scoped base): entrustments with their survey and offer,
agreements with their PDF, early return and end, and listings with publish / let / withdraw. Every page loads
its object in the user's scope first (404 outside it), then checks the permission (403), then calls a service."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSetGroup

from billing.models import Payee
from estates.admin_scoping import ScopedReadOnlyViewSet, add_service_errors, estate_filterset
from estates.selectors import scope_queryset

from .models import (
    AgreementMode,
    AgreementStatus,
    ApplicationStatus,
    Entrustment,
    EntrustmentAgreement,
    EntrustmentPhoto,
    EntrustmentStatus,
    Listing,
    ListingStatus,
    RentalApplication,
    RentalApplicationDocument,
)
from .pdf import agreement_pdf
from .recovery import schedule_rows
from .scoring import score_of
from .selectors.applications import applications_for_staff
from .selectors.entrustments import agreements_for_staff, entrustments_for_staff
from .services import applications as application_services
from .services import entrustments as entrustment_services
from .services import listings as listing_services


class ActionView(WagtailAdminTemplateMixin, TemplateView):
    """Loads one object in the user's scope (else 404), checks a permission (else 403), shows a form, calls a
    service; a refusal comes back on the form with nothing written."""

    model: type = Entrustment
    permission = ""
    form_class: type[forms.Form] = forms.Form
    template_name = "rentals/admin/action.html"
    header_icon = "home"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(scope_queryset(self.model.objects.all(), user=request.user), pk=kwargs["pk"])
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self):
        if self.request.method == "POST":
            return self.form_class(self.request.POST, self.request.FILES, **self.form_kwargs())
        return self.form_class(**self.form_kwargs())

    def form_kwargs(self) -> dict:
        return {}

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                self.act(form)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(self.success_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, **kwargs)

    def act(self, form) -> None:
        raise NotImplementedError

    def success_url(self) -> str:
        raise NotImplementedError


# --- Entrustments -------------------------------------------------------------------------------------------


class EntrustmentDetailView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Entrustment")
    template_name = "rentals/admin/entrustment.html"
    header_icon = "home"

    def get(self, request, pk):
        entrustment = get_object_or_404(
            entrustments_for_staff(user=request.user).prefetch_related("photos", "status_changes__by"), pk=pk
        )
        if not request.user.has_perm("rentals.view_entrustment"):
            raise PermissionDenied
        agreement = EntrustmentAgreement.objects.filter(entrustment=entrustment).select_related("owner_payee").first()
        actions = []
        if request.user.has_perm("rentals.change_entrustment"):
            if entrustment.status == EntrustmentStatus.APPLIED:
                actions.append((_("Record the survey"), reverse("rentals_entrustment:survey", args=[pk]), "survey"))
            if entrustment.status == EntrustmentStatus.SURVEYED:
                actions.append((_("Offer an agreement"), reverse("rentals_entrustment:offer", args=[pk]), "offer"))
        return self.render_to_response(
            self.get_context_data(
                entrustment=entrustment,
                agreement=agreement,
                schedule=schedule_rows(agreement.recovery_schedule) if agreement else [],
                actions=actions,
            )
        )


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files]


class SurveyForm(forms.Form):
    condition = forms.CharField(label=gettext_lazy("Condition"), max_length=2000, widget=forms.Textarea)
    rent_estimate = forms.DecimalField(label=gettext_lazy("Monthly rent estimate (CNY)"), max_digits=10, decimal_places=2)
    photos = PhotosField(label=gettext_lazy("Photos"), required=False, widget=MultiplePhotoInput(attrs={"accept": "image/*"}))


class SurveyView(ActionView):
    page_title = gettext_lazy("Record the survey")
    permission = "rentals.change_entrustment"
    form_class = SurveyForm

    def act(self, form):
        d = form.cleaned_data
        entrustment_services.entrustment_survey(
            entrustment=self.object,
            by=self.request.user,
            condition=d["condition"],
            rent_estimate=d["rent_estimate"],
            photos=d["photos"],
        )

    def success_url(self):
        return reverse("rentals_entrustment:inspect", args=[self.object.pk])


class OfferForm(forms.Form):
    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=AgreementMode.choices)
    start_on = forms.DateField(label=gettext_lazy("Term starts"), widget=forms.DateInput(attrs={"type": "date"}))
    term_years = forms.IntegerField(label=gettext_lazy("Term (years)"))
    rent_free_months = forms.IntegerField(label=gettext_lazy("Rent-free months for renovation"), initial=0)
    commission_percent = forms.DecimalField(
        label=gettext_lazy("Commission (%), agency only"), required=False, max_digits=5, decimal_places=2
    )
    guaranteed_rent = forms.DecimalField(
        label=gettext_lazy("Guaranteed monthly rent (CNY), sublet only"), required=False, max_digits=10, decimal_places=2
    )
    owner_payee = forms.ModelChoiceField(label=gettext_lazy("Owner's payee"), queryset=Payee.objects.none(), required=False)
    operator_payee = forms.ModelChoiceField(
        label=gettext_lazy("Operator's payee (sublet: its supervised account)"),
        queryset=Payee.objects.none(),
        required=False,
    )
    renovation_budget = forms.DecimalField(
        label=gettext_lazy("Renovation budget (CNY)"), max_digits=12, decimal_places=2, initial=0
    )
    recovery_months = forms.IntegerField(
        label=gettext_lazy("Recovered in equal monthly instalments over (months, after the rent-free period)"),
        required=False,
    )
    notice_days = forms.IntegerField(label=gettext_lazy("Notice for an early return (days)"), initial=30)

    def __init__(self, *args, estate_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_payee"].queryset = Payee.objects.filter(estate_id=estate_id)
        self.fields["operator_payee"].queryset = Payee.objects.filter(estate_id=estate_id)


class OfferView(ActionView):
    page_title = gettext_lazy("Offer an agreement")
    permission = "rentals.change_entrustment"
    form_class = OfferForm

    def form_kwargs(self):
        return {"estate_id": self.object.estate_id}

    def act(self, form):
        d = form.cleaned_data
        entrustment_services.entrustment_offer(entrustment=self.object, by=self.request.user, **d)

    def success_url(self):
        return reverse("rentals_entrustment:inspect", args=[self.object.pk])


def entrustment_photo(request, pk):
    row = get_object_or_404(EntrustmentPhoto.objects.filter(entrustment__in=entrustments_for_staff(user=request.user)), pk=pk)
    if not request.user.has_perm("rentals.view_entrustment"):
        raise PermissionDenied
    return FileResponse(row.image.open("rb"), content_type=row.content_type)


class EntrustmentViewSet(ScopedReadOnlyViewSet):
    """Owners' applications to entrust vacant flats in the user's estates."""

    model = Entrustment
    icon = "home"
    menu_label = gettext_lazy("Entrustments")
    detail_view = staticmethod(EntrustmentDetailView.as_view())
    list_display = ["unit", "estate", "status", "applied_at", "rent_estimate"]
    list_select_related = ("estate", "unit__building__estate")
    filterset_class = estate_filterset(Entrustment, model_fields=("status",))

    def extra_urls(self) -> list:
        return [
            path("survey/<int:pk>/", SurveyView.as_view(), name="survey"),
            path("offer/<int:pk>/", OfferView.as_view(), name="offer"),
            path("photo/<int:pk>/", entrustment_photo, name="photo"),
        ]


# --- Agreements ---------------------------------------------------------------------------------------------


def agreement_download(request, pk):
    agreement = get_object_or_404(agreements_for_staff(user=request.user), pk=pk)
    if not request.user.has_perm("rentals.view_entrustmentagreement"):
        raise PermissionDenied
    response = HttpResponse(agreement_pdf(agreement=agreement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{agreement.number}.pdf"'
    return response


class ReturnEarlyForm(forms.Form):
    notice_given_on = forms.DateField(label=gettext_lazy("Owner gave notice on"), widget=forms.DateInput(attrs={"type": "date"}))
    on = forms.DateField(label=gettext_lazy("Flat handed back on"), widget=forms.DateInput(attrs={"type": "date"}))


class ReturnEarlyView(ActionView):
    model = EntrustmentAgreement
    page_title = gettext_lazy("Early return")
    permission = "rentals.change_entrustmentagreement"
    form_class = ReturnEarlyForm

    def act(self, form):
        entrustment_services.agreement_return_early(agreement=self.object, by=self.request.user, **form.cleaned_data)

    def success_url(self):
        return reverse("rentals_entrustment:inspect", args=[self.object.entrustment_id])


class EndForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Flat handed back on"), widget=forms.DateInput(attrs={"type": "date"}))


class EndView(ActionView):
    model = EntrustmentAgreement
    page_title = gettext_lazy("End of term")
    permission = "rentals.change_entrustmentagreement"
    form_class = EndForm

    def act(self, form):
        entrustment_services.agreement_end(agreement=self.object, by=self.request.user, on=form.cleaned_data["on"])

    def success_url(self):
        return reverse("rentals_entrustment:inspect", args=[self.object.entrustment_id])


class AgreementViewSet(ScopedReadOnlyViewSet):
    """Entrustment agreements of the user's estates (offered, in force, ended)."""

    model = EntrustmentAgreement
    icon = "doc-full"
    menu_label = gettext_lazy("Entrustment agreements")
    list_display = ["number", "unit", "estate", "mode", "start_on", "end_on", "status"]
    list_select_related = ("estate", "unit__building__estate")
    filterset_class = estate_filterset(EntrustmentAgreement, model_fields=("status", "mode"))

    def extra_urls(self) -> list:
        return [
            path("pdf/<int:pk>/", agreement_download, name="pdf"),
            path("return/<int:pk>/", ReturnEarlyView.as_view(), name="return_early"),
            path("end/<int:pk>/", EndView.as_view(), name="end"),
        ]


# --- Listings -----------------------------------------------------------------------------------------------


class ListingForm(forms.Form):
    agreement = forms.ModelChoiceField(label=gettext_lazy("Agreement"), queryset=EntrustmentAgreement.objects.none())
    rent = forms.DecimalField(label=gettext_lazy("Monthly rent (CNY)"), max_digits=10, decimal_places=2)
    deposit = forms.DecimalField(label=gettext_lazy("Deposit (CNY)"), max_digits=10, decimal_places=2)
    bedrooms = forms.IntegerField(label=gettext_lazy("Bedrooms"))
    available_from = forms.DateField(label=gettext_lazy("Available from"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements_for_staff(user=user).filter(status=AgreementStatus.ACTIVE)


class ListingAddView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("New listing")
    template_name = "rentals/admin/action.html"
    header_icon = "home"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("rentals.add_listing"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render_to_response(self.get_context_data(form=ListingForm(user=request.user)))

    def post(self, request):
        form = ListingForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                listing = listing_services.listing_create(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("rentals_listing:inspect", listing.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ListingDetailView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Listing")
    template_name = "rentals/admin/listing.html"
    header_icon = "home"

    def get(self, request, pk):
        listing = get_object_or_404(
            scope_queryset(Listing.objects.all(), user=request.user).select_related(
                "estate__community__subdistrict__district", "agreement__unit__building"
            ),
            pk=pk,
        )
        if not request.user.has_perm("rentals.view_listing"):
            raise PermissionDenied
        moves = {
            ListingStatus.DRAFT: ("publish", "withdraw"),
            ListingStatus.PUBLISHED: ("let", "withdraw"),
        }.get(listing.status, ())
        labels = {"publish": _("Publish"), "let": _("Mark as let"), "withdraw": _("Withdraw")}
        actions = (
            [(labels[m], reverse(f"rentals_listing:{m}", args=[pk]), m) for m in moves]
            if request.user.has_perm("rentals.change_listing")
            else []
        )
        from .city_rules import city_rules

        return self.render_to_response(
            self.get_context_data(
                listing=listing, actions=actions, history=listing.status_changes.select_related("by"), rules=city_rules()
            )
        )


class ListingMoveView(ActionView):
    model = Listing
    permission = "rentals.change_listing"
    move = ""

    def act(self, form):
        service = {
            "publish": listing_services.listing_publish,
            "let": listing_services.listing_mark_let,
            "withdraw": listing_services.listing_withdraw,
        }[self.move]
        service(listing=self.object, by=self.request.user)

    def success_url(self):
        return reverse("rentals_listing:inspect", args=[self.object.pk])


class ListingViewSet(ScopedReadOnlyViewSet):
    """Listings of flats under agreements in force in the user's estates."""

    model = Listing
    icon = "home"
    menu_label = gettext_lazy("Listings")
    detail_view = staticmethod(ListingDetailView.as_view())
    add_view = staticmethod(ListingAddView.as_view())
    list_display = ["agreement", "estate", "rent", "bedrooms", "available_from", "status"]
    list_select_related = ("estate", "agreement__unit__building__estate")
    filterset_class = estate_filterset(Listing, model_fields=("status",))

    def extra_urls(self) -> list:
        return [
            path(
                "publish/<int:pk>/", ListingMoveView.as_view(move="publish", page_title=gettext_lazy("Publish")), name="publish"
            ),
            path("let/<int:pk>/", ListingMoveView.as_view(move="let", page_title=gettext_lazy("Mark as let")), name="let"),
            path(
                "withdraw/<int:pk>/",
                ListingMoveView.as_view(move="withdraw", page_title=gettext_lazy("Withdraw")),
                name="withdraw",
            ),
        ]


class RentalsViewSetGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("Rentals (存房)")
    menu_icon = "home"
    menu_order = 170
    items = (
        EntrustmentViewSet("rentals_entrustment", url_prefix="rentals/entrustment"),
        AgreementViewSet("rentals_agreement", url_prefix="rentals/agreement"),
        ListingViewSet("rentals_listing", url_prefix="rentals/listing"),
    )


# --- Applications -------------------------------------------------------------------------------------------


class ApplicationDetailView(WagtailAdminTemplateMixin, TemplateView):
    """The reviewing staff member's page: the applicant's full mobile and ID number (each view logged), the
    household, documents, the score's parts and the actions."""

    page_title = gettext_lazy("Rental application")
    template_name = "rentals/admin/application.html"
    header_icon = "user"

    def get(self, request, pk):
        application = get_object_or_404(
            applications_for_staff(user=request.user).prefetch_related("members", "documents", "status_changes__by"), pk=pk
        )
        if not request.user.has_perm("rentals.view_rentalapplication"):
            raise PermissionDenied
        full = application_services.application_reveal(application=application, viewer=request.user)
        actions = []
        if request.user.has_perm("rentals.change_rentalapplication") and application.status == ApplicationStatus.SUBMITTED:
            actions = [
                (_("Approve"), reverse("rentals_application:approve", args=[pk]), "approve"),
                (_("Reject"), reverse("rentals_application:reject", args=[pk]), "reject"),
            ]
        from .lease_viewsets import application_lease_action

        lease_action = application_lease_action(application, request.user)
        if lease_action:
            actions.append(lease_action)
        return self.render_to_response(
            self.get_context_data(application=application, full=full, score=score_of(application), actions=actions)
        )


def application_document(request, pk):
    row = get_object_or_404(
        RentalApplicationDocument.objects.filter(application__in=applications_for_staff(user=request.user)), pk=pk
    )
    if not request.user.has_perm("rentals.view_rentalapplication"):
        raise PermissionDenied
    return FileResponse(row.file.open("rb"), content_type=row.content_type)


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea)


class ApplicationMoveView(ActionView):
    model = RentalApplication
    permission = "rentals.change_rentalapplication"
    move = ""

    def act(self, form):
        if self.move == "approve":
            application_services.application_approve(application=self.object, by=self.request.user)
        else:
            application_services.application_reject(
                application=self.object, by=self.request.user, reason=form.cleaned_data["reason"]
            )

    def success_url(self):
        return reverse("rentals_application:inspect", args=[self.object.pk])


class ApplicationViewSet(ScopedReadOnlyViewSet):
    """The review queue: applications in the user's estates, best score first; personal data masked."""

    model = RentalApplication
    icon = "user"
    menu_label = gettext_lazy("Applications")
    detail_view = staticmethod(ApplicationDetailView.as_view())
    list_display = ["__str__", "mobile_masked", "id_number_masked", "listing", "occupants", "score", "status"]
    list_select_related = ("estate", "listing__agreement__unit__building__estate")
    filterset_class = estate_filterset(RentalApplication, model_fields=("status",))
    ordering = ["-score", "submitted_at", "pk"]

    def extra_urls(self) -> list:
        return [
            path(
                "approve/<int:pk>/",
                ApplicationMoveView.as_view(move="approve", page_title=gettext_lazy("Approve")),
                name="approve",
            ),
            path(
                "reject/<int:pk>/",
                ApplicationMoveView.as_view(move="reject", page_title=gettext_lazy("Reject"), form_class=RejectForm),
                name="reject",
            ),
            path("document/<int:pk>/", application_document, name="document"),
        ]


RentalsViewSetGroup.items = (
    *RentalsViewSetGroup.items,
    ApplicationViewSet("rentals_application", url_prefix="rentals/application"),
)
