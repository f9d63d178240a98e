"""Loyalty: programmes, tiers, earning rules, memberships, the points ledger, rewards.

The ledger (`PointsEntry`) is append-only: an entry is never edited or deleted while its
membership exists. A credit (points > 0) is a *lot* that can expire; a debit (redemption,
expiry, reversal) says which lots it took from in `PointsAllocation` rows, oldest lot first,
so a lot's remaining points are its points minus what was allocated from it. The membership's
`balance` is the sum of its entries, cached and updated in the same transaction as every entry.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    """A loyalty programme in one currency: how points are earned, kept and worth."""

    class TierBasis(models.TextChoices):
        POINTS = "points", _("points earned")
        SPEND = "spend", _("spend")

    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3)
    currency_digits = models.PositiveSmallIntegerField(_("currency decimals"), default=2)
    points_per_unit = models.PositiveIntegerField(_("points per currency unit"), default=1)
    # What one point is worth when redeemed, in minor units (liability = balance × this).
    point_value_minor = models.DecimalField(
        _("value of a point (minor units)"), max_digits=12, decimal_places=4, default=Decimal(1)
    )
    expiry_months = models.PositiveSmallIntegerField(_("points expire after (months)"), default=0)
    daily_limit = models.PositiveIntegerField(
        _("points per customer per day (0: no limit)"), default=0
    )
    tier_basis = models.CharField(
        _("tiers by"), max_length=8, choices=TierBasis.choices, default=TierBasis.POINTS
    )
    tier_window_days = models.PositiveIntegerField(_("tier window (days)"), default=365)
    grace_days = models.PositiveIntegerField(_("grace before a downgrade (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["currency", "is_active"], name="programme_currency_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_minor(self) -> int:
        return int(10**self.currency_digits)

    def money(self, minor: int | Decimal) -> str:
        """An amount in minor units as "1,234.50 USD"."""
        value = Decimal(minor) / self.unit_minor
        return f"{value:,.{self.currency_digits}f} {self.currency}"


class Tier(models.Model):
    """A level of a programme, reached at `threshold` (points or spend in minor units over the
    programme's rolling window); earns `multiplier_percent` of the base points."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"))  # 0 = the entry tier
    threshold = models.BigIntegerField(_("threshold"), default=0)
    multiplier_percent = models.PositiveIntegerField(_("points multiplier (%)"), default=100)
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        ordering = ["programme", "position"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "position"], name="tier_position_unique"),
            models.UniqueConstraint(
                fields=["programme", "threshold"], name="tier_threshold_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EarningRule(models.Model):
    """Extra points: a multiplier on one product's or category's lines, or a fixed bonus for an
    event (sign-up, birthday, referral, a survey answer, a review)."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("product")
        CATEGORY = "category", _("category")
        BONUS = "bonus", _("bonus event")

    class Event(models.TextChoices):
        SIGNUP = "signup", _("sign-up")
        BIRTHDAY = "birthday", _("birthday")
        REFERRAL = "referral", _("referral")
        SURVEY = "survey", _("survey answer")
        REVIEW = "review", _("review")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # The sales product; an id, not a foreign key: loyalty and sales are siblings.
    product_id = models.BigIntegerField(_("product"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=80, blank=True)
    event = models.CharField(_("event"), max_length=8, choices=Event.choices, blank=True)
    multiplier_percent = models.PositiveIntegerField(_("multiplier (%)"), default=100)
    points = models.PositiveIntegerField(_("bonus points"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["programme", "kind", "id"]
        indexes = [models.Index(fields=["programme", "kind", "is_active"], name="rule_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id or self.category or self.event}"


class Membership(models.Model):
    """A contact in a programme: tier, cached balance, referral code."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="members")
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    joined_at = models.DateTimeField(_("joined"))
    tier_since = models.DateTimeField(_("in tier since"), null=True, blank=True)
    # Set when the member no longer qualifies for their tier; the downgrade waits the grace.
    below_tier_since = models.DateTimeField(null=True, blank=True)
    tier_held_until = models.DateTimeField(null=True, blank=True)  # a tier-upgrade reward
    balance = models.BigIntegerField(_("balance"), default=0)
    version = models.PositiveIntegerField(default=1)  # + 1 with every ledger entry
    referral_code = models.CharField(_("referral code"), max_length=12, unique=True)
    referred_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    # The contact that enrolled (a plain id: a contact merge moves `contact`, not this). Part of
    # the unique key so that a merge can move a second membership of the same programme to the
    # surviving contact instead of deleting it; the contacts.merged handler then folds the two
    # into one (kith.loyalty.services.merges).
    enrolled_contact_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-joined_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "programme", "enrolled_contact_id"], name="membership_unique"
            ),
            models.CheckConstraint(condition=Q(balance__gte=0), name="membership_balance_gte_0"),
        ]
        indexes = [
            models.Index(fields=["programme", "tier"], name="membership_tier_idx"),
            models.Index(fields=["programme", "-balance", "-id"], name="membership_balance_idx"),
            models.Index(fields=["programme", "-joined_at", "-id"], name="membership_joined_idx"),
        ]

    def __str__(self) -> str:
        return self.referral_code


class PointsEntry(models.Model):
    """One line of the append-only ledger."""

    class Source(models.TextChoices):
        ORDER = "order", _("order")
        BONUS = "bonus", _("bonus")
        REFERRAL = "referral", _("referral")
        ADJUSTMENT = "adjustment", _("manual adjustment")
        REDEMPTION = "redemption", _("redemption")
        EXPIRY = "expiry", _("expiry")
        REVERSAL = "reversal", _("reversal")

    EARNING = (Source.ORDER, Source.BONUS, Source.REFERRAL)  # what the daily limit caps

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="entries")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # Unique per source ("order:12", "order:12:reversal", "redemption:5"): an order earns once.
    source_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    order_id = models.BigIntegerField(null=True, blank=True)  # the sales order, an id
    points = models.BigIntegerField(_("points"))  # > 0 credit (a lot), < 0 debit
    spend_minor = models.BigIntegerField(default=0)  # the order's spend (reversal: negative)
    # What counts towards a tier on the points basis: an earning's points; its reversal takes
    # all of them back even when the balance could not (the points were already spent).
    tier_points = models.BigIntegerField(default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    at = models.DateTimeField(_("date"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)  # credits only
    actor = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "points entries"
        ordering = ["-at", "-id"]
        constraints = [
            # A reversal of points already spent takes back 0 points (and the tier points).
            models.CheckConstraint(
                condition=~Q(points=0) | Q(source="reversal"), name="points_entry_not_0"
            )
        ]
        indexes = [
            models.Index(fields=["membership", "-at", "-id"], name="points_entry_member_idx"),
            models.Index(fields=["membership", "order_id"], name="points_entry_order_idx"),
            models.Index(fields=["source", "at"], name="points_entry_source_idx"),
            models.Index(
                fields=["expires_at", "membership"],
                name="points_entry_expiry_idx",
                condition=Q(points__gt=0, expires_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} {self.source}"


class PointsAllocation(models.Model):
    """How many points a debit took from one credit lot (append-only, like the ledger)."""

    debit = models.ForeignKey(PointsEntry, on_delete=models.CASCADE, related_name="takes")
    lot = models.ForeignKey(PointsEntry, on_delete=models.CASCADE, related_name="taken")
    points = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["debit", "lot"], name="points_allocation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.debit_id} takes {self.points} from {self.lot_id}"


class Reward(models.Model):
    """What points buy: a discount, a voucher, a free product or a tier upgrade."""

    class Kind(models.TextChoices):
        DISCOUNT = "discount", _("discount")
        VOUCHER = "voucher", _("voucher")
        FREE_PRODUCT = "product", _("free product")
        TIER_UPGRADE = "tier", _("tier upgrade")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rewards")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    cost_points = models.PositiveIntegerField(_("cost (points)"))
    discount_percent = models.PositiveSmallIntegerField(_("discount (%)"), default=0)
    value_minor = models.BigIntegerField(_("voucher value"), default=0)
    product_id = models.BigIntegerField(_("product"), null=True, blank=True)
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_days = models.PositiveIntegerField(_("code valid for (days)"), default=90)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["programme", "cost_points", "id"]
        indexes = [
            models.Index(fields=["programme", "is_active", "cost_points"], name="reward_cost_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """A reward bought with points: a one-time code that expires; reversible until used."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("issued")
        USED = "used", _("used")
        REVERSED = "reversed", _("reversed")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="redemptions")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="redemption")
    points = models.PositiveIntegerField(_("points"))
    code = models.CharField(_("code"), max_length=16, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ISSUED
    )
    created_at = models.DateTimeField(_("redeemed"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["membership", "-created_at", "-id"], name="redemption_member_idx"),
            models.Index(fields=["status", "created_at"], name="redemption_status_idx"),
        ]

    def __str__(self) -> str:
        return self.code
