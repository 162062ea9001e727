"""What each role may do in billing (registered with ``estates.roles`` from ``BillingConfig.ready``).

Staff run billing, record offline payments and refunds, void or write off bills (change_invoice),
record their estates' payees and name them for each kind of money; officers only look.
"""

from accounts.models import Role
from estates.roles import register_role_permissions

BILLING_VIEW = [
    ("billing", f"view_{m}")
    for m in (
        "billingrun",
        "invoice",
        "payment",
        "refund",
        "tariff",
        "ledgerentry",
        "moneyaudit",
        "payee",
        "payeeassignment",
        "transfer",
    )
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
            # The estate's payees: record them, open their accounts, name them for a kind of money.
            ("billing", "add_payee"),
            ("billing", "change_payee"),
            ("billing", "add_payeeassignment"),
        ],
    )
    register_role_permissions(Role.DISTRICT_OFFICER, BILLING_VIEW)
    register_role_permissions(Role.SUBDISTRICT_OFFICER, BILLING_VIEW)
