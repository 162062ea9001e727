"""Every page of the owners' portal, found from the URLconf, with demo data behind it.

Used by the link crawl (tests/accounts/test_portal_links.py) and the phone-layout browser check
(tests/e2e/test_portal_layout.py). A portal URL added to the URLconf without being listed here
fails both tests, so no new portal page escapes the layout and link checks.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

#: Pages a person opens (HTML), by URL name; how their arguments are found is in ``portal_pages``.
HTML_PAGES = {
    "portal_home",
    "portal_me",
    "portal_notices:list",
    "portal_billing:bills",
    "portal_billing:payment_result",
    "governance:assembly_list",
    "governance:assembly_detail",
    "parking_portal:page",
    "fund_portal:page",
    "records_portal:page",
    "repairs_portal:page",
    "repairs_portal:order",
    "surveys_portal:page",
    "surveys_portal:survey",
    "rentals_portal:page",
    "rentals_portal:entrust",
    "rentals_portal:entrustment",
    "rentals_portal:leases",
    "rentals_portal:lease",
    "rentals_portal:statements",
}
#: Downloads (PDF): checked for their status, not for layout.
DOWNLOADS = {
    "portal_billing:receipt",
    "portal_billing:demand_letter",
    "records_portal:copy",
    "repairs_portal:photo",
    "rentals_portal:agreement_pdf",
    "rentals_portal:lease_pdf",
    "rentals_portal:statement_pdf",
    "rentals_portal:deposit_pdf",
    "portal_my_data",
}
#: Form targets only (POST): reached by buttons, never by links.
POST_ONLY = {
    "portal_billing:checkout",
    "portal_billing:payment_cancel",
    "governance:assembly_vote",
    "rentals_portal:lease_notice",
}

DEMO_PERSONAS = {
    "13800000001": "owner in 金汤街",
    "13800000002": "owner in 洋河新村",
    "13900000003": "committee member and owner in 洋河新村",
    "13700000001": "tenant",
}


def portal_url_names() -> set[str]:
    """Qualified names of every URL under /portal/ in the URLconf."""
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str | None):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                walk(pattern.url_patterns, route, ns if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and route.startswith("portal/") and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", None)
    return names


def seed_demo(units: int = 60) -> None:
    """The demo data `make run` loads (estates, logins, governance, bills, reminders, notices)."""
    from estates.demo import demo_seed, demo_steps_run

    demo_seed(units=units)
    demo_steps_run()


def ensure_payment_attempt(user) -> None:
    """A cancelled online payment of one of the person's bills, so that the result page has content."""
    from billing.models import AttemptInvoice, AttemptStatus, Invoice, PaymentAttempt
    from billing.selectors import invoices_of_user

    if PaymentAttempt.objects.filter(user=user).exists():
        return
    invoice = invoices_of_user(user=user).order_by("pk").first()
    if invoice is None:
        return
    attempt = PaymentAttempt.objects.create(
        estate_id=invoice.estate_id, user=user, amount=invoice.total or Decimal("1.00"), status=AttemptStatus.EXPIRED
    )
    AttemptInvoice.objects.create(attempt=attempt, invoice=Invoice.objects.get(pk=invoice.pk), amount=attempt.amount)


def portal_pages(user) -> dict[str, list[str]]:
    """URL name -> the URLs of that page this person can open (empty: nothing of theirs to show)."""
    from billing.dunning import reminders_for_user
    from billing.models import PaymentAttempt
    from billing.portal import receipts_of_user
    from property_services.models import WorkOrderPhoto
    from property_services.selectors import assemblies_for_owner
    from property_services.selectors.inspection import inspection_requests_of_user
    from property_services.selectors.surveys import surveys_of_resident
    from property_services.selectors.work_orders import work_orders_of_resident
    from rentals.models import DepositSettlement, EntrustmentAgreement, OwnerStatement
    from rentals.selectors.entrustments import entrustments_of_owner, units_owned_by
    from rentals.selectors.leases import leases_of_tenant

    pages: dict[str, list[str]] = {
        "portal_home": [reverse("portal_home")],
        "portal_me": [reverse("portal_me")],
        "portal_notices:list": [reverse("portal_notices:list")],
        "portal_billing:bills": [reverse("portal_billing:bills")],
        "governance:assembly_list": [reverse("governance:assembly_list")],
        "parking_portal:page": [reverse("parking_portal:page")],
        "fund_portal:page": [reverse("fund_portal:page")],
        "records_portal:page": [reverse("records_portal:page")],
        "repairs_portal:page": [reverse("repairs_portal:page")],
        # The person's own reports and those of their estate's common parts; their photos.
        "repairs_portal:order": [reverse("repairs_portal:order", args=[o.pk]) for o in work_orders_of_resident(user=user)[:3]],
        "repairs_portal:photo": [
            reverse("repairs_portal:photo", args=[p.pk])
            for p in WorkOrderPhoto.objects.filter(order__in=work_orders_of_resident(user=user))[:2]
        ],
        # The open and closed surveys put to the person's household.
        "surveys_portal:page": [reverse("surveys_portal:page")],
        "surveys_portal:survey": [reverse("surveys_portal:survey", args=[s.pk]) for s in surveys_of_resident(user=user)[:3]],
        "portal_billing:payment_result": [
            reverse("portal_billing:payment_result", args=[pk])
            for pk in PaymentAttempt.objects.filter(user=user).values_list("pk", flat=True)[:3]
        ],
        "governance:assembly_detail": [
            reverse("governance:assembly_detail", args=[a.pk]) for a in assemblies_for_owner(user=user)[:10]
        ],
        "portal_billing:receipt": [
            reverse("portal_billing:receipt", args=[r.pk]) for r in receipts_of_user(user=user).order_by("-pk")[:2]
        ],
        # The copies the manager attached to the person's own requests to inspect a record.
        "records_portal:copy": [
            reverse("records_portal:copy", args=[r.pk]) for r in inspection_requests_of_user(user=user).exclude(copy="")[:2]
        ],
        # 存房: the person's own entrustments; the application form only for someone holding a flat today.
        "rentals_portal:page": [reverse("rentals_portal:page")],
        "rentals_portal:entrust": [reverse("rentals_portal:entrust")]
        if units_owned_by(user=user, on=timezone.localdate()).exists()
        else [],
        "rentals_portal:entrustment": [
            reverse("rentals_portal:entrustment", args=[e.pk]) for e in entrustments_of_owner(user=user)[:3]
        ],
        "rentals_portal:agreement_pdf": [
            reverse("rentals_portal:agreement_pdf", args=[e.pk])
            for e in entrustments_of_owner(user=user).filter(agreement__status__in=["offered", "active"])[:2]
        ],
        # The tenant's own leases and their PDFs.
        "rentals_portal:leases": [reverse("rentals_portal:leases")],
        "rentals_portal:lease": [reverse("rentals_portal:lease", args=[x.pk]) for x in leases_of_tenant(user=user)[:3]],
        "rentals_portal:lease_pdf": [reverse("rentals_portal:lease_pdf", args=[x.pk]) for x in leases_of_tenant(user=user)[:2]],
        # The owner's monthly statements of their agreements, and a tenant's deposit settlement.
        "rentals_portal:statements": [
            reverse("rentals_portal:statements", args=[pk])
            for pk in EntrustmentAgreement.objects.filter(owner__user=user, statements__isnull=False)
            .distinct()
            .values_list("pk", flat=True)[:2]
        ],
        "rentals_portal:statement_pdf": [
            reverse("rentals_portal:statement_pdf", args=[pk])
            for pk in OwnerStatement.objects.filter(agreement__owner__user=user).values_list("pk", flat=True)[:2]
        ],
        "rentals_portal:deposit_pdf": [
            reverse("rentals_portal:deposit_pdf", args=[pk])
            for pk in DepositSettlement.objects.filter(lease__tenant_user=user).values_list("lease_id", flat=True)[:2]
        ],
        # The person's own data (PIPL Art. 45).
        "portal_my_data": [reverse("portal_my_data")],
        "portal_billing:demand_letter": [
            reverse("portal_billing:demand_letter", args=[n.pk]) for n in reminders_for_user(user=user) if n.letter
        ][:2],
    }
    return pages
