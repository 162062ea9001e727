"""What each role may do in billing (registered with ``estates.roles`` from ``BillingConfig.ready``).

Staff run billing, record offline payments and refunds, void or write off bills (change_invoice);
officers only look.
"""

from accounts.models import Role
from estates.roles import register_role_permissions

BILLING_VIEW = [
    ("billing", f"view_{m}") for m in ("billingrun", "invoice", "payment", "refund", "tariff", "ledgerentry", "moneyaudit")
]


def register() -> None:
    register_role_permissions(
        Role.ESTATE_STAFF,
        BILLING_VIEW
        + [
            ("billing", "add_billingrun"),
            ("billing", "add_payment"),
            ("billing", "add_refund"),
            ("billing", "change_invoice"),
        ],
    )
    register_role_permissions(Role.DISTRICT_OFFICER, BILLING_VIEW)
    register_role_permissions(Role.SUBDISTRICT_OFFICER, BILLING_VIEW)
