"""Sales: leads and web-to-lead forms, pipelines, stages and deals, products, orders.

Money is stored as integers in the currency's minor units (cents; đồng and yen have none, see
kith.sales.money). An 8-byte integer is exact, sums exactly in SQL on both databases (SQLite has
no decimal type: a DecimalField there is a float or text), and keeps the 10M-row order line
table narrow: order, product, quantity and unit price are four integers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kith.core.models import OwnedRecord
from kith.core.translated import name_localized
from kith.sales.money import money_format


class Channel(models.TextChoices):
    """Where a lead or an order came from."""

    WEB_FORM = "web_form", _("Web form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social media")
    EVENT = "event", _("Event")
    REFERRAL = "referral", _("Referral")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class WebForm(models.Model):
    """A web-to-lead form an admin designs; served at /f/<slug>/ and embeddable in an iframe."""

    class Assignment(models.TextChoices):
        FIXED = "fixed", _("Fixed owner")
        ROUND_ROBIN = "round_robin", _("Round-robin in a team")

    # The fields a form may ask for; full name and email are always asked.
    FIELD_CHOICES = (
        ("phone", _("Phone")),
        ("company_name", _("Company")),
        ("message", _("Message")),
    )

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    consent_text = models.CharField(_("consent checkbox text"), max_length=300, blank=True)
    thank_you_text = models.CharField(_("thank-you text"), max_length=500)
    campaign = models.CharField(_("campaign"), max_length=120, blank=True)
    assignment = models.CharField(
        _("assignment"), max_length=12, choices=Assignment.choices, default=Assignment.FIXED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        "identity.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team"),
    )
    # How many leads round-robin has handed out; the next goes to member number (n % members).
    assigned_count = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Lead(OwnedRecord):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        WORKING = "working", _("Working")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    full_name = models.CharField(_("name"), max_length=200)
    email = models.CharField(_("email"), max_length=254, blank=True)  # normalised
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    website = models.CharField(_("website"), max_length=253, blank=True)  # bare domain
    message = models.TextField(_("message"), blank=True)
    source_channel = models.CharField(
        _("source channel"), max_length=12, choices=Channel.choices, default=Channel.WEB_FORM
    )
    campaign = models.CharField(_("campaign"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    disqualified_reason = models.CharField(_("disqualified reason"), max_length=200, blank=True)
    # Filled by a later scoring model; shown but not computed here.
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    form = models.ForeignKey(
        WebForm, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_text = models.CharField(max_length=300, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(
        "customers.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["created_at", "id"], name="lead_created_idx"),
            models.Index(fields=["team", "created_at", "id"], name="lead_team_created_idx"),
            models.Index(fields=["owner", "created_at", "id"], name="lead_owner_created_idx"),
            models.Index(fields=["status", "created_at", "id"], name="lead_status_created_idx"),
            models.Index(fields=["email"], name="lead_email_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return name_localized(self)


class Stage(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=80)
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("win probability (%)"), default=10)
    outcome = models.CharField(
        _("outcome"), max_length=4, choices=Outcome.choices, default=Outcome.OPEN
    )

    class Meta:
        ordering = ["pipeline_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_max")
        ]

    def __str__(self) -> str:
        return name_localized(self)


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=80, blank=True)
    price_minor = models.BigIntegerField(_("price"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="product_name_idx"),
            models.Index(fields=["category", "name"], name="product_category_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def price_display(self) -> str:
        return money_format(self.price_minor, self.currency)


class ExchangeRate(models.Model):
    """One unit of `currency` is worth `rate` units of `base`, from `day` on (until a later
    rate of the same pair). Admins maintain them; an order in another currency than a product's
    prices its lines at the rate of the order's day (kith.sales.services.rates)."""

    currency = models.CharField(_("currency"), max_length=3)
    base = models.CharField(_("into"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=24, decimal_places=10)
    day = models.DateField(_("valid from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["currency", "base", "day"], name="exchange_rate_unique")
        ]
        indexes = [models.Index(fields=["-day", "-id"], name="exchange_rate_day_idx")]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.base} ({self.day})"


class Deal(OwnedRecord):
    name = models.CharField(_("name"), max_length=200)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    # Copied from the stage (open, won, lost) so board and forecast filters need no join.
    outcome = models.CharField(max_length=4, choices=Stage.Outcome.choices, default="open")
    amount_minor = models.BigIntegerField(_("amount"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10)
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    company = models.ForeignKey(
        "customers.Company",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("company"),
    )
    contacts = models.ManyToManyField(
        "customers.Contact", through="DealContact", blank=True, related_name="+"
    )
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)
    stage_entered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            # A board column: the newest arrivals first, one index range per stage.
            models.Index(fields=["stage", "-stage_entered_at", "-id"], name="deal_stage_idx"),
            models.Index(
                fields=["team", "stage", "-stage_entered_at", "-id"], name="deal_team_stage_idx"
            ),
            models.Index(
                fields=["owner", "stage", "-stage_entered_at", "-id"], name="deal_owner_stage_idx"
            ),
            # Column totals of a board read only these indexes (covering), at any scope.
            models.Index(
                fields=["pipeline", "stage", "currency", "amount_minor", "probability"],
                name="deal_board_totals_idx",
            ),
            models.Index(
                fields=["team", "pipeline", "stage", "currency", "amount_minor", "probability"],
                name="deal_team_totals_idx",
            ),
            models.Index(
                fields=["owner", "pipeline", "stage", "currency", "amount_minor", "probability"],
                name="deal_owner_totals_idx",
            ),
            models.Index(fields=["created_at", "id"], name="deal_created_idx"),
            models.Index(fields=["outcome", "expected_close"], name="deal_outcome_close_idx"),
            models.Index(fields=["outcome", "closed_at"], name="deal_outcome_closed_idx"),
            models.Index(fields=["company"], name="deal_company_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def amount_display(self) -> str:
        return money_format(self.amount_minor, self.currency)


class DealContact(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE)
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_unique")
        ]
        indexes = [models.Index(fields=["contact", "deal"], name="deal_contact_contact_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id}:{self.contact_id}"


class DealStageChange(models.Model):
    """A deal entered `to_stage` (from `from_stage`, None when created) after spending
    `seconds_in_from` seconds in `from_stage`."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    seconds_in_from = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["deal", "at"], name="deal_stage_change_idx"),
            models.Index(fields=["to_stage", "deal"], name="deal_stage_change_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} -> {self.to_stage_id}"


class Order(OwnedRecord):
    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        PAID = "paid", _("Paid")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    # Cancelled and refunded orders are no purchase: the summary and analytics skip them; a
    # partially refunded one counts with what was kept (total_minor - refunded_minor).
    COUNTED = (Status.PLACED, Status.PAID, Status.FULFILLED, Status.PARTIALLY_REFUNDED)
    # Lines, customer, date, channel and currency may change until the order is fulfilled.
    EDITABLE = (Status.PLACED, Status.PAID)
    # Where each status may go (kith.sales.services.orders); cancelled and refunded are final.
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        Status.PLACED: (Status.PAID, Status.CANCELLED),
        Status.PAID: (
            Status.FULFILLED,
            Status.CANCELLED,
            Status.REFUNDED,
            Status.PARTIALLY_REFUNDED,
        ),
        Status.FULFILLED: (Status.REFUNDED, Status.PARTIALLY_REFUNDED),
        Status.PARTIALLY_REFUNDED: (Status.REFUNDED, Status.PARTIALLY_REFUNDED),
        Status.CANCELLED: (),
        Status.REFUNDED: (),
    }

    # Orders are the second-biggest table: every index is paid for on each bulk import. The
    # composite indexes below start with contact, team and owner, so the foreign keys need no
    # index of their own, and lists sort by ordered_at, never by the insert time.
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
        db_index=False,
    )
    team = models.ForeignKey(
        "identity.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team"),
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    number = models.CharField(_("number"), max_length=40, blank=True)
    ordered_at = models.DateTimeField(_("date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PAID
    )
    # Refunded so far (minor units, ≤ total_minor); the reason of the last cancel or refund.
    refunded_minor = models.BigIntegerField(_("refunded"), default=0, db_default=0)
    status_reason = models.CharField(_("reason"), max_length=200, blank=True, db_default="")
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, default=Channel.WEB_FORM
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    total_minor = models.BigIntegerField(_("total"), default=0)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["contact", "-ordered_at", "-id"], name="order_contact_date_idx"),
            models.Index(fields=["ordered_at", "id"], name="order_date_idx"),
            models.Index(fields=["team", "ordered_at", "id"], name="order_team_date_idx"),
            models.Index(fields=["owner", "ordered_at", "id"], name="order_owner_date_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def total_display(self) -> str:
        return money_format(self.total_minor, self.currency)

    @property
    def kept_minor(self) -> int:
        """What the customer paid and kept: the total less refunds."""
        return self.total_minor - self.refunded_minor

    @property
    def refunded_display(self) -> str:
        return money_format(self.refunded_minor, self.currency)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def next_statuses(self) -> tuple[str, ...]:
        return self.TRANSITIONS.get(self.status, ())


class OrderLine(models.Model):
    """Narrow on purpose (10M+ rows): four integers and the id. The customer and date are the
    order's (join on order_id; order has the contact+date index)."""

    # No database-level foreign keys on this 10M-row table: PostgreSQL checks each one with a
    # row lock at COMMIT, which made bulk imports several times slower. Lines are written only
    # by kith.sales.services, for orders it has just written and products it has checked;
    # deleting an order still deletes its lines (Django's CASCADE).
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", db_constraint=False
    )
    # No index: analytics read lines in bulk through their orders, and products are never
    # deleted (PROTECT would scan); an index here would cost 10M entries and import speed.
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    quantity = models.IntegerField(_("quantity"))
    unit_price_minor = models.BigIntegerField(_("unit price"))

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"

    @property
    def total_minor(self) -> int:
        return self.quantity * self.unit_price_minor


class PurchaseSummary(models.Model):
    """Per contact and currency: order count, total spent, first and last purchase. Kept up
    to date by the order services and the bulk import so a contact page reads one row."""

    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    order_count = models.PositiveIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    first_at = models.DateTimeField(null=True)
    last_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "currency"], name="purchase_summary_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.currency}"

    @property
    def total_display(self) -> str:
        return money_format(self.total_minor, self.currency)


# Quotas live in their own module; imported here so Django registers them.
from kith.sales.quota_models import Quota  # noqa: E402, F401
