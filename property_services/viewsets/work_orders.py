"""Back office of work orders (报修/投诉): the list with filters (status, overdue, category, low ratings — the
return-visit list), each order's page with its history and photos, and the staff's moves (accept, assign,
start, resolve, return, transfer, close) through action views; the estate's categories with their time limits
and its contractors."""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.models import Role
from accounts.models import User as UserModel
from estates.admin_scoping import ScopedAdminModelForm, ScopedModelViewSet, ScopedReadOnlyViewSet, estate_filterset

from ..admin_views import ScopedActionView
from ..models import Contractor, WorkOrder, WorkOrderCategory, WorkOrderPhoto, WorkOrderStatus
from ..selectors.work_orders import work_orders_for_staff
from ..services import work_orders as services

CHANGE = "property_services.change_workorder"


def _low_rating(queryset, name, value):
    return queryset.filter(rating__lte=2) if value else queryset


WorkOrderFilterSet = estate_filterset(
    WorkOrder,
    model_fields=("status", "overdue", "category"),
    return_visit=django_filters.BooleanFilter(label=gettext_lazy("Rated 1 or 2 (return visit)"), method=_low_rating),
)

#: Which action pages an order offers in each status.
ACTIONS = {
    WorkOrderStatus.SUBMITTED: ("accept", "close"),
    WorkOrderStatus.ACCEPTED: ("assign", "return"),
    WorkOrderStatus.ASSIGNED: ("start", "transfer", "return"),
    WorkOrderStatus.IN_PROGRESS: ("resolve", "transfer"),
    WorkOrderStatus.RESOLVED: ("confirm",),  # only for a caller without a login (see WorkOrderDetailView)
    WorkOrderStatus.CONFIRMED: ("close",),
}
ACTION_LABELS = {
    "accept": gettext_lazy("Accept"),
    "assign": gettext_lazy("Assign"),
    "start": gettext_lazy("Start"),
    "resolve": gettext_lazy("Resolve"),
    "return": gettext_lazy("Return"),
    "transfer": gettext_lazy("Transfer"),
    "close": gettext_lazy("Close"),
    "confirm": gettext_lazy("Confirm for the caller"),
}


class WorkOrderDetailView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Work order")
    template_name = "property_services/admin/work_order.html"
    header_icon = "tasks"

    def get(self, request, pk):
        order = get_object_or_404(
            work_orders_for_staff(user=request.user).prefetch_related("photos", "status_changes__by"), pk=pk
        )
        if not request.user.has_perm("property_services.view_workorder"):
            raise PermissionDenied
        actions = []
        if request.user.has_perm(CHANGE):
            actions = [
                (ACTION_LABELS[a], reverse(f"property_services_workorder:{a}", args=[order.pk]), a)
                for a in ACTIONS.get(order.status, ())
                if a != "confirm" or order.reporter_id is None  # a resident with a login confirms in the portal
            ]
        return self.render_to_response(self.get_context_data(order=order, actions=actions))


def photo_view(request, pk):
    """A photo of an order in the user's estates (404 outside them)."""
    row = get_object_or_404(WorkOrderPhoto.objects.filter(order__in=work_orders_for_staff(user=request.user)), pk=pk)
    if not request.user.has_perm("property_services.view_workorder"):
        raise PermissionDenied
    return FileResponse(row.image.open("rb"), content_type=row.content_type)


class WorkOrderViewSet(ScopedReadOnlyViewSet):
    """Repairs and complaints of the user's estates; the overdue ones flagged; the low ratings to call back."""

    model = WorkOrder
    icon = "tasks"
    menu_label = gettext_lazy("Work orders")
    detail_view = staticmethod(WorkOrderDetailView.as_view())
    list_display = [
        "number",
        "estate",
        "category",
        Column("location_label", label=gettext_lazy("Location")),
        "submitted_at",
        "status",
        "overdue",
        "reopen_count",
        "rating",
    ]
    list_select_related = ("estate", "category", "unit__building", "building")
    filterset_class = WorkOrderFilterSet

    @property
    def add_view(self):
        from .work_order_desk import FileForCallerView  # the desk's module imports CHANGE from here

        return FileForCallerView.as_view()

    def extra_urls(self) -> list:
        return [
            path("accept/<int:pk>/", AcceptView.as_view(), name="accept"),
            path("assign/<int:pk>/", AssignView.as_view(), name="assign"),
            path("start/<int:pk>/", StartView.as_view(), name="start"),
            path("resolve/<int:pk>/", ResolveView.as_view(), name="resolve"),
            path("return/<int:pk>/", ReturnView.as_view(), name="return"),
            path("transfer/<int:pk>/", TransferView.as_view(), name="transfer"),
            path("close/<int:pk>/", CloseView.as_view(), name="close"),
            path("confirm/<int:pk>/", ConfirmView.as_view(), name="confirm"),
            path("photo/<int:pk>/", photo_view, name="photo"),
        ]


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=gettext_lazy("What was done"), max_length=2000, widget=forms.Textarea)
    amount = forms.DecimalField(
        label=gettext_lazy("Charge (CNY), paid repairs inside a unit only"), required=False, max_digits=10, decimal_places=2
    )


class AssigneeForm(forms.Form):
    assigned_to = forms.ModelChoiceField(label=gettext_lazy("Staff member"), queryset=UserModel.objects.none(), required=False)
    contractor = forms.ModelChoiceField(label=gettext_lazy("Contractor"), queryset=Contractor.objects.none(), required=False)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = UserModel.objects.filter(
            role_assignments__role=Role.ESTATE_STAFF, role_assignments__estate_id=order.estate_id
        ).distinct()
        self.fields["contractor"].queryset = Contractor.objects.filter(estate_id=order.estate_id, active=True)


class TransferForm(AssigneeForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class _OrderAction(ScopedActionView):
    model = WorkOrder
    permission = CHANGE
    header_icon = "tasks"
    form_class = NoteForm

    def explanation(self):
        o = self.object
        return [f"{o.number} · {o.category} · {o.location_label}", o.description]

    def success_url(self):
        return reverse("property_services_workorder:inspect", args=[self.object.pk])

    def success_message(self):
        return _("Work order %(number)s: %(status)s.") % {
            "number": self.object.number,
            "status": self.object.get_status_display(),
        }


class _AssigneeAction(_OrderAction):
    def get_form(self):
        if self.request.method == "POST":
            return self.form_class(self.request.POST, order=self.object)
        return self.form_class(order=self.object)


class AcceptView(_OrderAction):
    page_title = gettext_lazy("Accept")

    def act(self, form):
        services.work_order_accept(order=self.object, by=self.request.user, note=form.cleaned_data["note"])


class StartView(_OrderAction):
    page_title = gettext_lazy("Start")

    def act(self, form):
        services.work_order_start(order=self.object, by=self.request.user, note=form.cleaned_data["note"])


class AssignView(_AssigneeAction):
    page_title = gettext_lazy("Assign")
    form_class = AssigneeForm

    def act(self, form):
        d = form.cleaned_data
        services.work_order_assign(order=self.object, by=self.request.user, staff=d["assigned_to"], contractor=d["contractor"])


class TransferView(_AssigneeAction):
    page_title = gettext_lazy("Transfer")
    form_class = TransferForm

    def act(self, form):
        d = form.cleaned_data
        services.work_order_transfer(
            order=self.object, by=self.request.user, staff=d["assigned_to"], contractor=d["contractor"], reason=d["reason"]
        )


class ResolveView(_OrderAction):
    page_title = gettext_lazy("Resolve")
    form_class = ResolveForm

    def act(self, form):
        d = form.cleaned_data
        services.work_order_resolve(order=self.object, by=self.request.user, resolution=d["resolution"], amount=d["amount"])


class ReturnView(_OrderAction):
    page_title = gettext_lazy("Return")
    form_class = ReasonForm

    def act(self, form):
        services.work_order_return(order=self.object, by=self.request.user, reason=form.cleaned_data["reason"])


class ConfirmView(_OrderAction):
    """Staff confirm the resolution of an order filed for a caller without a login (the caller said so on the
    phone); an order with a reporter is confirmed by that resident only (the service refuses staff)."""

    page_title = gettext_lazy("Confirm for the caller")

    def act(self, form):
        services.work_order_confirm(order=self.object, by=self.request.user)


class CloseView(_OrderAction):
    page_title = gettext_lazy("Close")
    form_class = NoteForm

    def act(self, form):
        services.work_order_close(order=self.object, by=self.request.user, reason=form.cleaned_data["note"])


class WorkOrderCategoryViewSet(ScopedModelViewSet):
    """An estate's categories of work orders with their response and completion limits."""

    model = WorkOrderCategory
    icon = "list-ul"
    menu_label = gettext_lazy("Work order categories")
    list_display = ["name", "estate", "kind", "response_hours", "completion_hours", "office_hours", "active"]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(WorkOrderCategory, model_fields=("kind", "active"))
    edit_handler = ObjectList(
        [FieldPanel(f) for f in ("estate", "name", "kind", "response_hours", "completion_hours", "office_hours", "active")],
        base_form_class=ScopedAdminModelForm,
    )

    def save_object(self, *, form, request, created):
        return services.work_order_category_save(category=form.instance)


class ContractorViewSet(ScopedModelViewSet):
    """The outside firms and tradesmen an estate sends to repairs."""

    model = Contractor
    icon = "user"
    menu_label = gettext_lazy("Contractors")
    list_display = ["name", "estate", "trade", "phone", "active"]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(Contractor, model_fields=("active",))
    edit_handler = ObjectList(
        [FieldPanel(f) for f in ("estate", "name", "trade", "phone", "active")], base_form_class=ScopedAdminModelForm
    )
