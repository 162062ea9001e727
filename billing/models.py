"""Fees, bills, payments, receipts and the ledger.

billing knows estates, units and owners, and a *generic* billable source (a unit for the property
fee, a parking permit or a lease for later apps) — never parking or leases themselves. Money is
Decimal to the fen (billing.money.quantize); integer fen only at the payment-provider boundary.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from estates.models import Estate, Owner, Unit, UnitUse
from estates.status import StatusChange

from .charges import charge_kind_choices, charge_kind_label
from .money import format_rmb


class ChargeKind(models.TextChoices):
    """billing's own charge kinds. Other apps register theirs (billing.charges); the ``charge_kind``
    fields accept every registered kind."""

    PROPERTY_FEE = "property_fee", _("Property service fee")
    MAINTENANCE_FUND = "maintenance_fund", _("Maintenance fund contribution")
    OTHER = "other", _("Other charge")


class TariffBasis(models.TextChoices):
    PER_M2_MONTH = "per_m2_month", _("per m² of exclusive area per month")
    FIXED_MONTH = "fixed_month", _("fixed amount per month")


class Tariff(models.Model):
    """A rate for one charge kind in one estate over a date range (e.g. 物业费 1.20 元/m²·月 for flats).

    Set by the services of other apps (a management arrangement's fee standard becomes tariffs).
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="tariffs", verbose_name=_("estate"))
    charge_kind = models.CharField(_("charge"), max_length=30, choices=charge_kind_choices)
    unit_use = models.CharField(_("unit use"), max_length=20, choices=UnitUse.choices, blank=True)
    basis = models.CharField(_("basis"), max_length=20, choices=TariffBasis.choices, default=TariffBasis.PER_M2_MONTH)
    rate = models.DecimalField(_("rate (CNY)"), max_digits=12, decimal_places=4)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Last day the rate applies; empty = open."))
    source_label = models.CharField(_("set by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["estate", "charge_kind", "unit_use", "-valid_from"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0), name="tariff_rate_non_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="tariff_period_valid"
            ),
        ]

    def __str__(self):
        return f"{self.estate} {self.get_charge_kind_display()} {self.rate}"


class BillingRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BillingRun(models.Model):
    """One monthly billing of one estate (or all estates in a scope) for a period."""

    period = models.DateField(_("period"), help_text=_("First day of the billed month."))
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, null=True, blank=True, related_name="billing_runs", verbose_name=_("estate")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("started by")
    )
    status = models.CharField(_("status"), max_length=20, choices=BillingRunStatus.choices, default=BillingRunStatus.QUEUED)
    total_units = models.PositiveIntegerField(_("units to bill"), default=0)
    done_units = models.PositiveIntegerField(_("units done"), default=0)
    invoices_created = models.PositiveIntegerField(_("bills created"), default=0)
    # Units counted as done without a new bill: billed before (a rerun), no tariff, no current owner.
    units_already_billed = models.PositiveIntegerField(_("units already billed"), default=0)
    units_without_tariff = models.PositiveIntegerField(_("units without a tariff"), default=0)
    units_without_owner = models.PositiveIntegerField(_("units without an owner"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        constraints = [models.CheckConstraint(condition=Q(done_units__lte=F("total_units")), name="billing_run_progress_bounded")]

    def __str__(self):
        return f"{self.period:%Y-%m} {self.estate or _('all estates')}"


class BillingRunChunk(models.Model):
    """A slice of a run (a range of unit ids) that any worker can take and finish on its own."""

    estate_scope_path = "run__estate_id"

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("billing run"))
    index = models.PositiveIntegerField(_("index"))
    first_unit_id = models.BigIntegerField(_("first unit id"))
    last_unit_id = models.BigIntegerField(_("last unit id"))
    unit_count = models.PositiveIntegerField(_("unit count"))
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing run chunk")
        verbose_name_plural = _("billing run chunks")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="billing_chunk_unique")]

    def __str__(self):
        return f"{self.run_id}#{self.index}"


class BillingRunStatusChange(StatusChange):
    """History of a billing run's status (started, failed, resumed, done)."""

    estate_scope_path = "run__estate_id"

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("billing run"))
    from_status = models.CharField(_("from status"), max_length=20, choices=BillingRunStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=BillingRunStatus.choices)

    class Meta:
        verbose_name = _("billing run status change")
        verbose_name_plural = _("billing run status changes")
        ordering = ["run", "at", "pk"]


class PayeeMoney(models.TextChoices):
    """The kinds of money a payee is named for; the values are the ledger accounts the money belongs to
    (billing.ledger.charge_account), so a bill's charge kind says which payee receives it."""

    FEES = "fee_income", _("Property fees and other charges (the manager's)")
    PUBLIC_INCOME = "public_income", _("Public income from common parts (the owners')")
    MAINTENANCE_FUND = "maintenance_fund", _("Maintenance fund (the owners')")
    RENT = "rent_payable", _("Rent of pooled flats (the lessor's)")


class Payee(models.Model):
    """Who receives one kind of an estate's money: a legal entity and its account at the payment provider.

    Property fees are the manager's (the firm, the community service centre or the self-governing
    owners); public income and the maintenance fund are the owners' jointly (Civil Code Arts. 281,
    282); rent is the lessor's of record. Online payments reach the payee's own account (a Stripe
    connected account, ``acct_…``); while it has none, or the provider has not enabled charges on
    it, the payee's bills are paid at the counter only.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="payees", verbose_name=_("estate"))
    legal_name = models.CharField(
        _("legal name"), max_length=200, help_text=_("The legal entity that receives the money, as printed on receipts.")
    )
    provider = models.CharField(_("payment provider"), max_length=20, default="stripe")
    account_id = models.CharField(
        _("account at the payment provider"),
        max_length=255,
        blank=True,
        help_text=_("The Stripe connected account (acct_…). Empty until the payee is onboarded."),
    )
    # A supervised account (资金监管账户) at a bank under the housing authority's supervision: the only kind of
    # payee that may receive a deposit above one month's rent, and all rent of an operator that sublets
    # (住房租赁条例 Art. 19; 2021 national opinion on rental companies).
    supervised = models.BooleanField(
        _("supervised account (资金监管账户)"),
        default=False,
        help_text=_("The account is a rental-funds supervision account publicised by the housing authority."),
    )
    supervising_bank = models.CharField(_("supervising bank"), max_length=100, blank=True)
    charges_enabled = models.BooleanField(_("can take payments"), default=False)
    payouts_enabled = models.BooleanField(_("can be paid out"), default=False)
    details_submitted = models.BooleanField(_("details submitted"), default=False)
    status_checked_at = models.DateTimeField(_("status from the provider at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payee")
        verbose_name_plural = _("payees")
        ordering = ["estate", "legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "provider", "account_id"], condition=~Q(account_id=""), name="payee_account_once_per_estate"
            ),
        ]

    def __str__(self):
        return self.legal_name

    @property
    def takes_online_payments(self) -> bool:
        return bool(self.account_id) and self.charges_enabled


class PayeeAssignment(models.Model):
    """From a date on, one kind of an estate's money goes to this payee. Never edited: a change of
    manager is a new row from its date, and bills issued before keep the payee they were issued with."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="payee_assignments", verbose_name=_("estate"))
    money = models.CharField(_("kind of money"), max_length=30, choices=PayeeMoney.choices)
    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("payee"))
    valid_from = models.DateField(_("valid from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payee of a kind of money")
        verbose_name_plural = _("payees of kinds of money")
        ordering = ["estate", "money", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["estate", "money", "valid_from"], name="payee_assignment_once_per_day")]

    def __str__(self):
        return f"{self.estate} · {self.get_money_display()} · {self.valid_from}: {self.payee}"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    VOID = "void", _("Void")


class Invoice(models.Model):
    """A bill to one payer for one charge of one source in one period."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("estate"))
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices", verbose_name=_("unit")
    )
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("source type"))
    source_id = models.BigIntegerField(_("source id"))
    source = GenericForeignKey("source_type", "source_id")
    charge_kind = models.CharField(_("charge"), max_length=30, choices=charge_kind_choices)
    period = models.DateField(_("period"), help_text=_("First day of the billed month."))
    payer_owner = models.ForeignKey(
        Owner, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices", verbose_name=_("payer")
    )
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("payer account"),
    )
    payer_name = models.CharField(_("payer name"), max_length=100)
    number = models.CharField(_("bill number"), max_length=40, unique=True)
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    total = models.DecimalField(_("total (CNY)"), max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(_("paid (CNY)"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN, db_index=True
    )
    billing_run = models.ForeignKey(
        BillingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices", verbose_name=_("billing run")
    )
    # Who receives this bill's money, fixed when the bill is issued (billing.services.payees).
    payee = models.ForeignKey(
        Payee, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices", verbose_name=_("payee")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Not a column: the owner's bills page sets why the bill cannot be paid online now ("" when it can).
    cannot_pay_online: str

    class Meta:
        ordering = ["-period", "number"]
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "period", "charge_kind"], name="invoice_once_per_source_period_charge"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_non_negative"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=F("total")), name="invoice_paid_within_total"
            ),
            models.CheckConstraint(condition=Q(due_on__gte=F("issued_on")), name="invoice_due_after_issue"),
        ]
        indexes = [
            models.Index(fields=["payer_owner", "status"]),
            models.Index(fields=["estate", "period"]),
            # The dashboards' collection rate (selectors.collection_by_estate) reads the bills of many estates due
            # in a window from this index alone on PostgreSQL (an index-only scan); elsewhere the columns after
            # the key are simply not included.
            models.Index(
                fields=["estate", "due_on"],
                include=["total", "paid_amount", "status", "charge_kind"],
                name="invoice_collection",
            ),
        ]

    def __str__(self):
        return self.number

    # The bills pages show these for every row: Django's generated get_FOO_display builds the whole choice
    # list (for charge_kind, from the registry) and translates every label on each call (issue 16).
    def get_charge_kind_display(self) -> str:  # type: ignore[no-redef]  # replaces Django's generated one
        return charge_kind_label(self.charge_kind)

    def get_status_display(self) -> str:  # type: ignore[no-redef]  # replaces Django's generated one
        return str(InvoiceStatus(self.status).label) if self.status in InvoiceStatus.values else self.status

    @property
    def outstanding(self):
        return self.total - self.paid_amount


class InvoiceLine(models.Model):
    estate_scope_path = "invoice__estate_id"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("bill"))
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=4)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["invoice", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="invoice_line_amount_non_negative")]

    def __str__(self):
        return self.description


class InvoiceStatusChange(StatusChange):
    """History of a bill's status: who moved it from what to what, when and why."""

    estate_scope_path = "invoice__estate_id"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("bill"))
    from_status = models.CharField(_("from status"), max_length=20, choices=InvoiceStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=InvoiceStatus.choices)

    class Meta:
        verbose_name = _("bill status change")
        verbose_name_plural = _("bill status changes")
        ordering = ["invoice", "at", "pk"]

    def __str__(self):
        return f"{self.invoice_id}: {self.from_status} → {self.to_status}"


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Bank card")
    ALIPAY = "alipay", _("Alipay")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    CASH = "cash", _("Cash")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class AttemptStatus(models.TextChoices):
    OPEN = "open", _("Waiting for payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    FLAGGED = "flagged", _("Flagged for staff (amount or currency mismatch)")


class PaymentAttempt(models.Model):
    """An attempt to pay some bills online: one Checkout Session at the provider.

    Made by an owner in the portal (``user``), or by a guest without a login (``user`` empty): a
    visitor paying a parking stay's bill from the link the gate shows (billing.services.checkout).
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="payment_attempts", verbose_name=_("estate"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_attempts",
        verbose_name=_("user"),
        help_text=_("Empty for a guest payer (no login)."),
    )
    invoices = models.ManyToManyField(Invoice, through="AttemptInvoice", related_name="payment_attempts", verbose_name=_("bills"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="cny")
    provider = models.CharField(_("payment provider"), max_length=20, default="stripe")
    provider_session_id = models.CharField(_("provider session id"), max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(_("checkout URL"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.OPEN)
    flag_reason = models.CharField(_("flag reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="attempt_amount_positive")]

    def __str__(self):
        return f"{self.provider}:{self.provider_session_id or self.pk}"


class AttemptInvoice(models.Model):
    estate_scope_path = "attempt__estate_id"

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.CASCADE, verbose_name=_("payment attempt"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, verbose_name=_("bill"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("bill in a payment attempt")
        verbose_name_plural = _("bills in payment attempts")
        constraints = [models.UniqueConstraint(fields=["attempt", "invoice"], name="attempt_invoice_unique")]

    def __str__(self):
        return f"{self.attempt_id}/{self.invoice_id}"


class PaymentAttemptStatusChange(StatusChange):
    """History of a payment attempt's status (paid, failed, expired, flagged for staff)."""

    estate_scope_path = "attempt__estate_id"

    attempt = models.ForeignKey(
        PaymentAttempt, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("payment attempt")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=AttemptStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=AttemptStatus.choices)

    class Meta:
        verbose_name = _("payment attempt status change")
        verbose_name_plural = _("payment attempt status changes")
        ordering = ["attempt", "at", "pk"]


class Payment(models.Model):
    """Money received: online through a provider, or in person recorded by staff. Never edited."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="payments", verbose_name=_("estate"))
    payer_name = models.CharField(_("payer name"), max_length=100)
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payer account"),
    )
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="cny")
    received_at = models.DateTimeField(_("received at"))
    # The provider's id (Checkout Session) or the bank/cash slip: one payment per reference.
    reference = models.CharField(_("reference"), max_length=255, blank=True)
    attempt = models.OneToOneField(
        PaymentAttempt, on_delete=models.PROTECT, null=True, blank=True, related_name="payment", verbose_name=_("payment attempt")
    )
    provider_payment_id = models.CharField(
        _("provider payment id"), max_length=255, blank=True, help_text=_("Payment intent at the provider, for refunds.")
    )
    provider_charge_id = models.CharField(
        _("provider charge id"), max_length=255, blank=True, help_text=_("The charge that transfers to payees are made from.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    refunded_amount = models.DecimalField(_("refunded (CNY)"), max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")), name="payment_refunds_within_amount"
            ),
            models.UniqueConstraint(fields=["method", "reference"], condition=~Q(reference=""), name="payment_reference_once"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {format_rmb(self.amount)}"


class PaymentAllocation(models.Model):
    """How much of a payment settled which bill (one payment may cover several bills)."""

    estate_scope_path = "payment__estate_id"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("payment"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("bill"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_once_per_invoice"),
        ]

    def __str__(self):
        return f"{self.payment_id}→{self.invoice_id} {format_rmb(self.amount)}"


class Refund(models.Model):
    """Money given back from a payment; a new record, the payment itself is never changed back."""

    estate_scope_path = "payment__estate_id"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    provider_refund_id = models.CharField(_("provider refund id"), max_length=255, unique=True, null=True, blank=True)
    # The key of the staff member's refund form: the same form posted twice books one refund (and,
    # for an online payment, is the provider's idempotency key, so the provider refunds once too).
    request_key = models.CharField(_("request key"), max_length=64, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"−{format_rmb(self.amount)}"


class Transfer(models.Model):
    """One payee's share of an online payment, moved from the platform to the payee's account.

    Planned in the payment's own transaction (one per payee of the bills paid, never two), then
    sent to the provider outside it with an idempotency key; ``provider_transfer_id`` is empty
    until the provider confirms. ``gross`` is what the payee's bills received, ``platform_fee``
    the operator's fee kept from it (ANJU_PLATFORM_FEE_RATE), ``amount`` what the payee gets.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("estate"))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("payment"))
    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("payee"))
    destination = models.CharField(_("payee's account"), max_length=255)
    gross = models.DecimalField(_("bills paid (CNY)"), max_digits=12, decimal_places=2)
    platform_fee = models.DecimalField(_("platform fee (CNY)"), max_digits=12, decimal_places=2, default=0)
    amount = models.DecimalField(_("transferred (CNY)"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="cny")
    reversed_amount = models.DecimalField(_("reversed (CNY)"), max_digits=12, decimal_places=2, default=0)
    fee_returned = models.DecimalField(_("platform fee returned (CNY)"), max_digits=12, decimal_places=2, default=0)
    provider_transfer_id = models.CharField(_("provider transfer id"), max_length=255, unique=True, null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer to a payee")
        verbose_name_plural = _("transfers to payees")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "payee"], name="transfer_once_per_payment_payee"),
            models.CheckConstraint(condition=Q(gross__gt=0), name="transfer_gross_positive"),
            models.CheckConstraint(
                condition=Q(platform_fee__gte=0) & Q(amount__gte=0) & Q(amount=F("gross") - F("platform_fee")),
                name="transfer_amount_is_gross_less_fee",
            ),
            models.CheckConstraint(
                condition=Q(reversed_amount__gte=0) & Q(reversed_amount__lte=F("amount")), name="transfer_reversals_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(fee_returned__gte=0) & Q(fee_returned__lte=F("platform_fee")), name="transfer_fee_returned_within_fee"
            ),
        ]

    def __str__(self):
        return f"{self.payee} {format_rmb(self.amount)}"


class TransferReversal(models.Model):
    """Money taken back from a payee's transfer: for a refund of its bills, or done at the provider."""

    estate_scope_path = "transfer__estate_id"

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="reversals", verbose_name=_("transfer"))
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="reversals", verbose_name=_("refund")
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    fee_returned = models.DecimalField(_("platform fee returned (CNY)"), max_digits=12, decimal_places=2, default=0)
    provider_reversal_id = models.CharField(_("provider reversal id"), max_length=255, unique=True, null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer reversal")
        verbose_name_plural = _("transfer reversals")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["refund", "transfer"], condition=Q(refund__isnull=False), name="reversal_once_per_refund_transfer"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(fee_returned__gte=0), name="reversal_amounts_non_negative"),
            models.CheckConstraint(condition=Q(amount__gt=0) | Q(fee_returned__gt=0), name="reversal_not_empty"),
        ]

    def __str__(self):
        return f"−{format_rmb(self.amount)}"


class ReceiptCounter(models.Model):
    """The last receipt number used per estate and year; locked row → numbers without gaps."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")
        constraints = [models.UniqueConstraint(fields=["estate", "year"], name="receipt_counter_unique")]

    def __str__(self):
        return f"{self.estate_id}/{self.year}: {self.last}"


class Receipt(models.Model):
    """The receipt for one payment, numbered without gaps per estate and year."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt", verbose_name=_("payment"))
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("estate"))
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("receipt number"), max_length=40, unique=True)
    pdf = models.FileField(_("PDF"), upload_to="receipts/%Y/", blank=True)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["estate", "year", "sequence"]
        constraints = [models.UniqueConstraint(fields=["estate", "year", "sequence"], name="receipt_sequence_unique")]

    def __str__(self):
        return self.number


class AccountKind(models.TextChoices):
    RECEIVABLE = "receivable", _("Fees receivable")
    FEE_INCOME = "fee_income", _("Manager's fee income")
    CASH = "cash", _("Cash and bank")
    PROVIDER_CLEARING = "provider_clearing", _("Online payments clearing")
    PUBLIC_INCOME = "public_income", _("Owners' public income")
    MAINTENANCE_FUND = "maintenance_fund", _("Owners' maintenance fund")
    # The owners' public income once allocated as they decided (Civil Code Arts. 282-283): set aside for a
    # named use, or shared to the owners unit by unit and owed to them until paid or credited.
    PUBLIC_INCOME_USES = "public_income_uses", _("Public income set aside for decided uses")
    OWNERS_PAYABLE = "owners_payable", _("Public income payable to owners")
    RENT_PAYABLE = "rent_payable", _("Rent payable to lessors")
    WRITE_OFF = "write_off", _("Manager's write-offs")
    SUSPENSE = "suspense", _("Unallocated receipts")
    TRANSFERRED = "transferred", _("Transferred to payees' accounts")
    PLATFORM_FEES = "platform_fees", _("Platform fees")


class MoneyOwner(models.TextChoices):
    """Whose money an account's balance is."""

    MANAGER = "manager", _("The manager")
    OWNERS = "owners", _("The owners, jointly")
    LESSORS = "lessors", _("The lessors of pooled flats")
    HELD = "held", _("Held for the parties above")
    PLATFORM = "platform", _("The platform operator")


# Whose money each account holds. Fees are the manager's income. Income from common parts is the
# owners' (Civil Code Art. 282); the maintenance fund (专项维修资金) is the owners' (Art. 281), kept
# per estate with a balance per unit; rent of a pooled flat is owed to its lessor until paid out.
# Cash, online clearing, receivables and unallocated receipts are held for whoever the other side
# of their entries names.
ACCOUNT_BELONGS_TO: dict[str, str] = {
    AccountKind.FEE_INCOME: MoneyOwner.MANAGER,
    AccountKind.WRITE_OFF: MoneyOwner.MANAGER,
    AccountKind.PUBLIC_INCOME: MoneyOwner.OWNERS,
    AccountKind.MAINTENANCE_FUND: MoneyOwner.OWNERS,
    AccountKind.PUBLIC_INCOME_USES: MoneyOwner.OWNERS,
    AccountKind.OWNERS_PAYABLE: MoneyOwner.OWNERS,
    AccountKind.RENT_PAYABLE: MoneyOwner.LESSORS,
    AccountKind.RECEIVABLE: MoneyOwner.HELD,
    AccountKind.CASH: MoneyOwner.HELD,
    AccountKind.PROVIDER_CLEARING: MoneyOwner.HELD,
    AccountKind.SUSPENSE: MoneyOwner.HELD,
    # Money already in the payees' own accounts at the provider, and the operator's fee kept from it.
    AccountKind.TRANSFERRED: MoneyOwner.HELD,
    AccountKind.PLATFORM_FEES: MoneyOwner.PLATFORM,
}


class LedgerAccount(models.Model):
    """One account of an estate's books; its kind says what it is and whose money it holds."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="ledger_accounts", verbose_name=_("estate"))
    kind = models.CharField(_("account"), max_length=30, choices=AccountKind.choices)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [models.UniqueConstraint(fields=["estate", "kind"], name="ledger_account_unique")]

    def __str__(self):
        return f"{self.estate} · {self.get_kind_display()}"

    @property
    def belongs_to(self) -> str:
        return ACCOUNT_BELONGS_TO[AccountKind(self.kind)]


class LedgerEntry(models.Model):
    """One balanced movement: amount leaves the credit account and enters the debit account.

    Each row's two legs (+amount, −amount) sum to zero by construction, and the database checks the
    amount is positive and the accounts differ; a business event posts one or more rows together.
    Rows are append-only: corrections are new rows.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("estate"))
    debit = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="debits", verbose_name=_("debit account"))
    credit = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="credits", verbose_name=_("credit account"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    memo = models.CharField(_("memo"), max_length=200)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries", verbose_name=_("bill")
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries", verbose_name=_("payment")
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries", verbose_name=_("refund")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(condition=~Q(debit=F("credit")), name="ledger_accounts_differ"),
        ]

    def __str__(self):
        return f"{self.debit_id}←{self.credit_id} {format_rmb(self.amount)}"


class ProviderEvent(models.Model):
    """A webhook event from a payment provider, stored once by its id before it is handled."""

    provider = models.CharField(_("payment provider"), max_length=20, default="stripe")
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("event type"), max_length=100)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # A worker handling this event in a batch holds it until then; a claim that ran out (the worker
    # died) lets the event be taken again (services.event_batches).
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment provider event")
        verbose_name_plural = _("payment provider events")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")]
        # Workers look for the few events still waiting among the many handled.
        indexes = [models.Index(fields=["id"], condition=models.Q(processed_at__isnull=True), name="provider_event_waiting")]

    def __str__(self):
        return f"{self.provider}:{self.event_id} {self.type}"


class DunningLevel(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    SECOND_REMINDER = "second_reminder", _("Second reminder")
    FORMAL_DEMAND = "formal_demand", _("Formal demand letter")


class DunningNotice(models.Model):
    """A reminder about an unpaid bill. The ladder ends at a formal demand, never a service cut (Art. 944)."""

    estate_scope_path = "invoice__estate_id"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="dunning_notices", verbose_name=_("bill"))
    level = models.CharField(_("level"), max_length=20, choices=DunningLevel.choices)
    channels = models.CharField(_("channels"), max_length=100, blank=True)
    letter = models.FileField(_("letter"), upload_to="demands/%Y/", blank=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    # Not a column: the owner's portal sets where the demand letter can be downloaded, for its template.
    letter_url: str | None

    class Meta:
        verbose_name = _("payment reminder")
        verbose_name_plural = _("payment reminders")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="dunning_level_once_per_invoice")]

    def __str__(self):
        return f"{self.invoice_id} {self.level}"


class MoneyAudit(models.Model):
    """Who changed a money record, and when (payments, refunds, voids, write-offs, tariffs)."""

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, null=True, blank=True, related_name="money_audits", verbose_name=_("estate")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("user")
    )
    action = models.CharField(_("action"), max_length=50)
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("record type"))
    object_id = models.BigIntegerField(_("record id"))
    data = models.JSONField(_("changes"), default=dict, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("money audit entry")
        verbose_name_plural = _("money audit entries")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.action} {self.object_type_id}:{self.object_id}"


# Money rows are written by the thousand (a billing run, a burst of webhooks), never edited in Wagtail's
# editors and never deleted: Wagtail's reference index (the "usage" listings of an object) gains nothing
# from them, and re-indexing each on save cost about a fifth of handling a paid session (docs/benchmarks.md).
for _model in (
    BillingRunChunk,
    Invoice,
    InvoiceLine,
    PaymentAttempt,
    AttemptInvoice,
    Payment,
    PaymentAllocation,
    Refund,
    Transfer,
    TransferReversal,
    ReceiptCounter,
    Receipt,
    LedgerAccount,
    LedgerEntry,
    ProviderEvent,
    DunningNotice,
    MoneyAudit,
):
    _model.wagtail_reference_index_ignore = True  # type: ignore[union-attr]
