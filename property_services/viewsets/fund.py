"""Back-office pages of the owners' maintenance fund: each unit's account (contributions paid in, shares of
the uses, balance) and the publication (公示) of a use.

Civil Code Art. 281: the fund belongs to the owners and its raising and use are published periodically;
Art. 943: the manager discloses the use of the fund to the owners.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from estates.admin_scoping import ScopedIndexView, ScopedInspectView
from estates.selectors import estates_visible_to

from ..admin_views import ScopedActionView
from ..models import MaintenanceFundUse, Notice, NoticeKind, NoticeStatus
from ..selectors.fund import fund_accounts
from ..services.notices import DISCLOSURE_DISPLAY_DAYS


class FundAccountsView(WagtailAdminTemplateMixin, TemplateView):
    """The estate's maintenance fund, unit by unit: paid in, shares of the uses, balance, with the totals.
    A fixed number of queries whatever the number of units (``selectors.fund.fund_accounts``)."""

    page_title = gettext_lazy("Maintenance fund by unit")
    template_name = "property_services/admin/fund_accounts.html"
    header_icon = "cogs"

    def get(self, request):
        if not request.user.has_perm("property_services.view_maintenancefunduse"):
            raise PermissionDenied
        estates = list(estates_visible_to(user=request.user).order_by("name"))
        estate = None
        chosen = request.GET.get("estate", "")
        if chosen:
            estate = next((e for e in estates if str(e.pk) == chosen), None)
            if estate is None:
                raise Http404
        elif len(estates) == 1:
            estate = estates[0]
        accounts = fund_accounts(estate=estate) if estate is not None else None
        return self.render_to_response(self.get_context_data(estates=estates, estate=estate, accounts=accounts))


class FundUseIndexView(ScopedIndexView):
    """The uses, each marked published or not, with a link to the per-unit accounts."""

    def annotate(self, queryset):
        notices = Notice.objects.filter(
            source_type=ContentType.objects.get_for_model(MaintenanceFundUse),
            source_id=OuterRef("pk"),
            kind=NoticeKind.MAINTENANCE_FUND_USE,
            status=NoticeStatus.PUBLISHED,
        )
        return queryset.annotate(is_published=Exists(notices))

    @cached_property
    def header_buttons(self):
        return [
            *super().header_buttons,
            HeaderButton(
                _("Fund accounts by unit"),
                url=reverse("property_services_maintenancefunduse:accounts"),
                icon_name="table",
                attrs={"data-testid": "fund-accounts"},
            ),
        ]


class FundUseInspectView(ScopedInspectView):
    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm("property_services.publish_maintenancefunduse"):
            buttons.append(
                HeaderButton(
                    _("Publish this use"),
                    url=reverse("property_services_maintenancefunduse:publish", args=[self.object.pk]),
                    icon_name="doc-full",
                    attrs={"data-testid": f"publish-fund-use-{self.object.pk}"},
                )
            )
        return buttons


class FundUsePublishView(ScopedActionView):
    """Publish a use as a notice of the estate with its PDF (``services.fund.fund_use_publish``)."""

    model = MaintenanceFundUse
    permission = "property_services.publish_maintenancefunduse"
    page_title = gettext_lazy("Publish this use")
    header_icon = "doc-full"

    def explanation(self):
        return [
            _(
                "The use is published as a notice of the estate with a PDF: the repair, the resolution or emergency "
                "application that authorised it, the amount and each bearing unit's share by its unit number (no names). "
                "Owners read it among their estate's notices; it is shown for %(days)s days (Civil Code Art. 281)."
            )
            % {"days": DISCLOSURE_DISPLAY_DAYS},
        ]

    def act(self, form):
        from ..services.fund import fund_use_publish

        fund_use_publish(use=self.object, by=self.request.user)

    def success_message(self):
        return _("The use is published as a notice of the estate, with its PDF.")

    def success_url(self):
        return reverse("property_services_maintenancefunduse:inspect", args=[self.object.pk])
