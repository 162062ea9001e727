"""Back office of leases (租赁合同): the list (tenant masked), a lease's page with its history, and the actions —
draw up from an approved application, sign, cancel a draft, record the filing, renew, give and withdraw notice —
and the PDF. Every page loads the lease in the user's scope first (404 outside it), then checks the permission
(403), then calls a service (``rentals.services.leases``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from estates.admin_scoping import ScopedReadOnlyViewSet, estate_filterset

from .models import (
    ApplicationStatus,
    DepositCase,
    FilingStatus,
    Lease,
    LeaseStatus,
    RentalApplication,
    TerminationKind,
)
from .pdf import lease_pdf
from .selectors.leases import leases_for_staff
from .services import leases as lease_services
from .viewsets import ActionView, RentalsViewSetGroup

DATE = forms.DateInput(attrs={"type": "date"})


def lease_actions(lease: Lease, user) -> list[tuple[str, str, str]]:
    """(label, url, test id) of the moves the user may make on the lease now."""
    if not user.has_perm("rentals.change_lease"):
        return []
    moves: tuple[tuple[str, str], ...] = {
        LeaseStatus.DRAFT: (("sign", _("Record the signature")), ("cancel", _("Cancel the draft"))),
        LeaseStatus.ACTIVE: (
            ("filing", _("Record the filing")),
            ("renew", _("Renew")),
            ("notice", _("Give notice to end early")),
        ),
        LeaseStatus.NOTICE: (("filing", _("Record the filing")), ("withdraw_notice", _("Withdraw the notice"))),
        LeaseStatus.ENDED: (("filing", _("Record the filing")),),
        LeaseStatus.TERMINATED: (("filing", _("Record the filing")),),
    }.get(lease.status, ())
    if not user.has_perm("rentals.add_lease"):
        moves = tuple(m for m in moves if m[0] != "renew")
    return [(label, reverse(f"rentals_lease:{name}", args=[lease.pk]), name) for name, label in moves]


class LeaseDetailView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Lease")
    template_name = "rentals/admin/lease.html"
    header_icon = "doc-full"

    def get(self, request, pk):
        lease = get_object_or_404(leases_for_staff(user=request.user), pk=pk)
        if not request.user.has_perm("rentals.view_lease"):
            raise PermissionDenied
        return self.render_to_response(
            self.get_context_data(
                lease=lease,
                actions=lease_actions(lease, request.user),
                cases=[DepositCase(c).label for c in lease.deposit_cases if c in DepositCase.values],
                history=lease.status_changes.select_related("by"),
                renewal=Lease.objects.filter(renews=lease).only("pk", "number", "status").first(),
            )
        )


def lease_download(request, pk):
    lease = get_object_or_404(leases_for_staff(user=request.user), pk=pk)
    if not request.user.has_perm("rentals.view_lease"):
        raise PermissionDenied
    response = HttpResponse(lease_pdf(lease=lease), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{lease.number}.pdf"'
    return response


class TermsForm(forms.Form):
    months = forms.IntegerField(label=gettext_lazy("Term (whole months)"), min_value=1)
    monthly_rent = forms.DecimalField(label=gettext_lazy("Monthly rent (CNY)"), max_digits=10, decimal_places=2)
    rent_day = forms.IntegerField(label=gettext_lazy("Rent day (1–28)"), initial=1)
    cycle_months = forms.IntegerField(label=gettext_lazy("Months of rent collected at a time (1–3)"), initial=1)
    deposit = forms.DecimalField(label=gettext_lazy("Deposit (CNY)"), max_digits=10, decimal_places=2)
    deposit_cases = forms.MultipleChoiceField(
        label=gettext_lazy("The only cases in which the deposit may be reduced"),
        choices=DepositCase.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deposit_return_days = forms.IntegerField(label=gettext_lazy("Deposit returned within (days after hand-back)"), initial=15)
    notice_days = forms.IntegerField(label=gettext_lazy("Notice to end the lease early (days)"), initial=30)


class DraftForm(TermsForm):
    start_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DATE)
    field_order = ["start_on", "months"]


class LeaseDraftView(ActionView):
    """Draw up a lease from an approved application (a button on the application's page)."""

    model = RentalApplication
    page_title = gettext_lazy("Draw up a lease")
    permission = "rentals.add_lease"
    form_class = DraftForm
    header_icon = "doc-full"

    def get_form(self):
        form = super().get_form()
        listing = self.object.listing
        form.initial.update(
            start_on=listing.available_from,
            monthly_rent=listing.rent,
            deposit=listing.deposit,
            deposit_cases=list(DepositCase.values),
        )
        return form

    def act(self, form):
        self.lease = lease_services.lease_draft(application=self.object, by=self.request.user, **form.cleaned_data)

    def success_url(self):
        return reverse("rentals_lease:inspect", args=[self.lease.pk])


class LeaseActionView(ActionView):
    model = Lease
    permission = "rentals.change_lease"
    header_icon = "doc-full"

    def success_url(self):
        return reverse("rentals_lease:inspect", args=[getattr(self, "result", self.object).pk])


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)


class SignView(LeaseActionView):
    page_title = gettext_lazy("Record the signature")

    def act(self, form):
        lease_services.lease_sign(lease=self.object, by=self.request.user)


class CancelView(LeaseActionView):
    page_title = gettext_lazy("Cancel the draft")
    form_class = CancelForm

    def act(self, form):
        lease_services.lease_cancel(lease=self.object, by=self.request.user, reason=form.cleaned_data["reason"])


class FilingForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Filing (登记备案)"), choices=FilingStatus.choices)
    number = forms.CharField(label=gettext_lazy("Filing number"), max_length=50, required=False)
    filed_on = forms.DateField(label=gettext_lazy("Filed on"), required=False, widget=DATE)


class FilingView(LeaseActionView):
    page_title = gettext_lazy("Record the filing")
    form_class = FilingForm

    def get_form(self):
        form = super().get_form()
        lease = self.object
        form.initial |= {"status": lease.filing_status, "number": lease.filing_number, "filed_on": lease.filed_on}
        return form

    def act(self, form):
        lease_services.lease_filing_record(lease=self.object, by=self.request.user, **form.cleaned_data)


class RenewForm(TermsForm):
    pass


class RenewView(LeaseActionView):
    page_title = gettext_lazy("Renew")
    form_class = RenewForm
    permission = "rentals.add_lease"

    def get_form(self):
        form = super().get_form()
        lease = self.object
        form.initial.update(
            monthly_rent=lease.monthly_rent,
            rent_day=lease.rent_day,
            cycle_months=lease.cycle_months,
            deposit=lease.deposit,
            deposit_cases=lease.deposit_cases,
            deposit_return_days=lease.deposit_return_days,
            notice_days=lease.notice_days,
        )
        return form

    def act(self, form):
        self.result = lease_services.lease_renew(lease=self.object, by=self.request.user, **form.cleaned_data)


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("How the lease ends"), choices=TerminationKind.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    notice_on = forms.DateField(label=gettext_lazy("Notice given on"), widget=DATE)
    terminates_on = forms.DateField(label=gettext_lazy("The lease ends on"), widget=DATE)


class NoticeView(LeaseActionView):
    page_title = gettext_lazy("Give notice to end early")
    form_class = NoticeForm
    template_name = "rentals/admin/lease_notice.html"

    def act(self, form):
        lease_services.lease_notice(lease=self.object, by=self.request.user, **form.cleaned_data)


class WithdrawNoticeView(LeaseActionView):
    page_title = gettext_lazy("Withdraw the notice")

    def act(self, form):
        lease_services.lease_notice_withdraw(lease=self.object, by=self.request.user)


class LeaseViewSet(ScopedReadOnlyViewSet):
    """Leases of pooled flats in the user's estates; the tenant's mobile and ID number masked."""

    model = Lease
    icon = "doc-full"
    menu_label = gettext_lazy("Leases")
    detail_view = staticmethod(LeaseDetailView.as_view())
    list_display = ["__str__", "tenant_mobile_masked", "unit", "estate", "start_on", "end_on", "monthly_rent", "status"]
    list_select_related = ("estate", "unit__building__estate")
    filterset_class = estate_filterset(Lease, model_fields=("status", "filing_status"))

    def extra_urls(self) -> list:
        return [
            path("draft/<int:pk>/", LeaseDraftView.as_view(), name="draft"),
            path("sign/<int:pk>/", SignView.as_view(), name="sign"),
            path("cancel/<int:pk>/", CancelView.as_view(), name="cancel"),
            path("filing/<int:pk>/", FilingView.as_view(), name="filing"),
            path("renew/<int:pk>/", RenewView.as_view(), name="renew"),
            path("notice/<int:pk>/", NoticeView.as_view(), name="notice"),
            path("withdraw-notice/<int:pk>/", WithdrawNoticeView.as_view(), name="withdraw_notice"),
            path("pdf/<int:pk>/", lease_download, name="pdf"),
        ]


def application_lease_action(application: RentalApplication, user) -> tuple[str, str, str] | None:
    """The application page's button: draw up a lease from an approved application that has none."""
    if (
        application.status == ApplicationStatus.APPROVED
        and user.has_perm("rentals.add_lease")
        and not Lease.objects.filter(application=application).exists()
    ):
        return (_("Draw up a lease"), reverse("rentals_lease:draft", args=[application.pk]), "draft-lease")
    return None


RentalsViewSetGroup.items = (*RentalsViewSetGroup.items, LeaseViewSet("rentals_lease", url_prefix="rentals/lease"))
