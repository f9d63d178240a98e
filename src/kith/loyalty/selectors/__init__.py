"""Every read of loyalty used by the api, web and cli: already behind the permission gate
(the loyalty module's scope over the member's contact)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Contact
from kith.engagement.timeline import TimelineCursor, TimelineItem
from kith.identity.access import can, require, visible_to
from kith.identity.models import User
from kith.loyalty.models import (
    EarningRule,
    Membership,
    PointsAllocation,
    PointsEntry,
    Programme,
    Redemption,
    Reward,
    Tier,
)
from kith.loyalty.services.members import (
    members_visible,
    membership_visible,
    qualifying_value,
    tier_for,
)

EXPIRING_DAYS = 30
# The marketing segment field of points_expiring_expression (translated in loyalty's catalog).
POINTS_EXPIRING_LABEL = gettext_lazy("loyalty points expiring within 30 days")


def _members(user: User) -> QuerySet[Membership]:
    require(user, "loyalty", "read")
    return members_visible(user)


def programmes_list(*, user: User) -> list[Programme]:
    """Every programme (the configuration is not a customer record: loyalty read suffices)."""
    require(user, "loyalty", "read")
    return list(Programme.objects.order_by("name", "id"))


def programme_get(*, user: User, programme_id: int) -> Programme:
    require(user, "loyalty", "read")
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:
        raise NotFound("programme")
    return programme


def tiers_list(*, user: User, programme_id: int) -> list[Tier]:
    require(user, "loyalty", "read")
    return list(Tier.objects.filter(programme_id=programme_id).order_by("position"))


def earning_rules_list(*, user: User, programme_id: int) -> list[EarningRule]:
    """A programme's earning rules (product, category multipliers, bonus events)."""
    require(user, "loyalty", "read")
    return list(EarningRule.objects.filter(programme_id=programme_id).order_by("kind", "id"))


def rewards_list(*, user: User | None, programme_id: int) -> list[Reward]:
    """The active rewards of a programme, cheapest first (user None: the member's own page)."""
    if user is not None:
        require(user, "loyalty", "read")
    return list(
        Reward.objects.filter(programme_id=programme_id, is_active=True).order_by(
            "cost_points", "id"
        )
    )


def memberships_list(
    *,
    user: User,
    programme_id: int | None = None,
    tier_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Membership]:
    """Visible members, newest first (membership_joined_idx)."""
    members = _members(user).select_related("programme", "tier", "contact")
    if programme_id is not None:
        members = members.filter(programme_id=programme_id)
    if tier_id is not None:
        members = members.filter(tier_id=tier_id)
    return paginate(
        members, ordering=Ordering("joined_at", descending=True), cursor=cursor, limit=limit
    )


def membership_get(*, user: User, membership_id: int) -> Membership:
    return membership_visible(by=user, membership_id=membership_id)


def entries_list(
    *, user: User | None, membership_id: int, cursor: str | None = None, limit: int = 50
) -> Page[PointsEntry]:
    """A member's ledger, newest first (points_entry_member_idx); user None: the member's own
    page (the caller checked the signed link)."""
    if user is not None:
        membership_visible(by=user, membership_id=membership_id)
    entries = PointsEntry.objects.filter(membership_id=membership_id)
    return paginate(entries, ordering=Ordering("at", descending=True), cursor=cursor, limit=limit)


def redemptions_list(
    *, user: User | None, membership_id: int, cursor: str | None = None, limit: int = 50
) -> Page[Redemption]:
    if user is not None:
        membership_visible(by=user, membership_id=membership_id)
    rows = Redemption.objects.filter(membership_id=membership_id).select_related("reward")
    return paginate(
        rows, ordering=Ordering("created_at", descending=True), cursor=cursor, limit=limit
    )


@dataclass
class MemberCard:
    """What the contact panel and the member's own page show."""

    membership: Membership
    qualifying: int
    next_tier: Tier | None
    to_next: int  # points (or minor units of spend) still needed for the next tier
    progress_percent: int
    expiring_points: int
    expiring_first: datetime | None
    entries: list[PointsEntry] = field(default_factory=list)
    referred_count: int = 0
    referred_revenue_minor: int = 0
    downstream_count: int = 0  # everyone referred, and whom they referred, … (DOWNSTREAM_DEPTH)
    downstream_revenue_minor: int = 0

    @property
    def downstream_revenue(self) -> str:
        return self.membership.programme.money(self.downstream_revenue_minor)

    @property
    def referred_revenue(self) -> str:
        return self.membership.programme.money(self.referred_revenue_minor)


DOWNSTREAM_DEPTH = 6


def referral_levels(membership_id: int, depth: int = DOWNSTREAM_DEPTH) -> list[list[int]]:
    """The members a member referred (level 0), those they referred (level 1), …: one indexed
    query per level, at most `depth` levels; a member is counted once even in a cycle."""
    seen, levels, frontier = {membership_id}, [], [membership_id]
    for _level in range(depth):
        found = [
            pk
            for pk in Membership.objects.filter(referred_by_id__in=frontier).values_list(
                "pk", flat=True
            )
            if pk not in seen
        ]
        if not found:
            break
        seen.update(found)
        levels.append(found)
        frontier = found
    return levels


def _spend_of(membership_ids: list[int]) -> int:
    """Order spend of these members, net of reversals (minor units)."""
    if not membership_ids:
        return 0
    total = PointsEntry.objects.filter(
        membership_id__in=membership_ids,
        source__in=(PointsEntry.Source.ORDER, PointsEntry.Source.REVERSAL),
    ).aggregate(total=Coalesce(Sum("spend_minor"), 0))["total"]
    return int(total)


def member_card(
    *, membership: Membership, now: datetime | None = None, history: int = 10
) -> MemberCard:
    """The card of a membership read already through the gate (or the signed link): tier
    progress, points expiring within 30 days, latest entries, referrals (direct and
    downstream): a handful of small indexed queries, plus one per referral level."""
    now = now or timezone.now()
    tiers = list(Tier.objects.filter(programme_id=membership.programme_id).order_by("position"))
    value = qualifying_value(membership, now)
    current = tier_for(tiers, value)
    above = [t for t in tiers if current is None or t.position > current.position]
    next_tier = above[0] if above else None
    floor = current.threshold if current else 0
    to_next = max(0, next_tier.threshold - value) if next_tier else 0
    span = (next_tier.threshold - floor) if next_tier else 0
    progress = 100 if next_tier is None else int(100 * max(0, value - floor) / span) if span else 0
    soon = (
        PointsEntry.objects.filter(
            membership=membership, points__gt=0, expires_at__gt=now,
            expires_at__lte=now + timedelta(days=EXPIRING_DAYS),
        )
        .annotate(taken_sum=Coalesce(Sum("taken__points"), 0))
        .filter(points__gt=F("taken_sum"))
        .values_list("points", "taken_sum", "expires_at")
    )  # fmt: skip
    lots = list(soon)
    levels = referral_levels(membership.pk)
    direct = levels[0] if levels else []
    everyone = [pk for level in levels for pk in level]
    revenue = _spend_of(direct)
    downstream = _spend_of(everyone)
    return MemberCard(
        membership=membership, qualifying=value, next_tier=next_tier, to_next=to_next,
        progress_percent=min(100, progress),
        expiring_points=sum(points - taken for points, taken, _ in lots),
        expiring_first=min((at for _, _, at in lots if at is not None), default=None),
        entries=list(PointsEntry.objects.filter(membership=membership).order_by("-at", "-id")[:history]),
        referred_count=len(direct), referred_revenue_minor=revenue,
        downstream_count=len(everyone), downstream_revenue_minor=downstream,
    )  # fmt: skip


def points_expiring_expression(*, now: datetime, contact_ref: Any = None) -> Any:
    """A SQL expression, per contact (`contact_ref`, default OuterRef("pk") of a contacts
    query): the points of their lots that expire within EXPIRING_DAYS of `now` and are still
    there (the lots' points minus what debits took from them); 0 without such lots. For the
    marketing segment field "points expiring" (two correlated sums on indexed columns)."""
    ref = contact_ref if contact_ref is not None else OuterRef("pk")
    window = {"points__gt": 0, "expires_at__gt": now,
              "expires_at__lte": now + timedelta(days=EXPIRING_DAYS)}  # fmt: skip
    lots = (
        PointsEntry.objects.filter(membership__contact_id=ref, **window)
        .order_by()
        .values("membership__contact_id")
        .annotate(n=Sum("points"))
        .values("n")
    )
    taken = (
        PointsAllocation.objects.filter(
            lot__membership__contact_id=ref, **{f"lot__{k}": v for k, v in window.items()}
        )
        .order_by()
        .values("lot__membership__contact_id")
        .annotate(n=Sum("points"))
        .values("n")
    )
    zero = Value(0)
    return Coalesce(Subquery(lots, output_field=IntegerField()), zero) - Coalesce(
        Subquery(taken, output_field=IntegerField()), zero
    )


def contact_for_panel(*, user: User, contact_id: int) -> Contact:
    """The contact of a record panel, only its id (the panel needs no more): NotFound unless
    `user` may see it. One narrow query instead of the contact page's row and prefetches."""
    contact = (
        visible_to(Contact.objects.all(), user=user, module="contacts")
        .filter(pk=contact_id)
        .only("pk")
        .first()
    )
    if contact is None:
        raise NotFound(_("Not found."))
    return contact


def contact_memberships(*, user: User, contact_id: int) -> list[Membership]:
    """A visible contact's memberships (one per programme)."""
    return list(
        _members(user)
        .filter(contact_id=contact_id)
        .select_related("programme", "tier")
        .order_by("pk")
    )


@dataclass
class TierCount:
    tier: str
    members: int


@dataclass
class Dashboard:
    programme: Programme
    members: int
    per_tier: list[TierCount]
    issued: int
    redeemed: int
    expired: int
    reversed: int
    outstanding: int
    liability_minor: Decimal
    redemption_rate: float  # redeemed / issued, 0..1
    months: list[dict[str, object]]

    @property
    def liability(self) -> str:
        return self.programme.money(self.liability_minor)


def programme_dashboard(*, user: User, programme_id: int, months: int = 12) -> Dashboard:
    """A programme's figures over the members `user` may see: members per tier, points issued
    / redeemed / expired / reversed, outstanding points and their value, redemption rate, and
    points issued and redeemed per month (the last `months`). Five aggregate queries."""
    programme = programme_get(user=user, programme_id=programme_id)
    members = _members(user).filter(programme=programme)
    per_tier = [
        TierCount(tier=row["tier__name"] or "—", members=row["n"])
        for row in members.values("tier__position", "tier__name")
        .annotate(n=Count("pk"))
        .order_by("tier__position")
    ]
    entries = PointsEntry.objects.filter(membership__in=members.values("pk"))
    sums = entries.aggregate(
        issued=Coalesce(
            Sum("points", filter=Q(points__gt=0) & ~Q(source=PointsEntry.Source.REVERSAL)), 0
        ),
        returned=Coalesce(
            Sum("points", filter=Q(points__gt=0, source=PointsEntry.Source.REVERSAL)), 0
        ),
        redeemed=Coalesce(Sum("points", filter=Q(source=PointsEntry.Source.REDEMPTION)), 0),
        expired=Coalesce(Sum("points", filter=Q(source=PointsEntry.Source.EXPIRY)), 0),
        reversed=Coalesce(
            Sum("points", filter=Q(points__lt=0, source=PointsEntry.Source.REVERSAL)), 0
        ),
    )
    outstanding = members.aggregate(total=Coalesce(Sum("balance"), 0))["total"]
    # A reversed redemption gives its points back: the net redeemed is what stays spent.
    redeemed = max(0, -int(sums["redeemed"]) - int(sums["returned"]))
    issued = int(sums["issued"])
    since = (timezone.now() - timedelta(days=31 * months)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    monthly: dict[str, dict[str, int]] = {}
    rows = (
        entries.filter(at__gte=since)
        .annotate(month=TruncMonth("at"))
        .values("month", "source")
        .annotate(
            credit=Coalesce(Sum("points", filter=Q(points__gt=0)), 0),
            debit=Coalesce(Sum("points", filter=Q(points__lt=0)), 0),
        )
    )
    for row in rows:
        month = row["month"].strftime("%Y-%m")
        bucket = monthly.setdefault(month, {"issued": 0, "redeemed": 0, "expired": 0})
        if row["source"] != PointsEntry.Source.REVERSAL:
            bucket["issued"] += int(row["credit"])
        if row["source"] == PointsEntry.Source.REDEMPTION:
            bucket["redeemed"] -= int(row["debit"])
        elif row["source"] == PointsEntry.Source.EXPIRY:
            bucket["expired"] -= int(row["debit"])
    return Dashboard(
        programme=programme, members=sum(t.members for t in per_tier), per_tier=per_tier,
        issued=issued, redeemed=redeemed, expired=-int(sums["expired"]),
        reversed=-int(sums["reversed"]), outstanding=int(outstanding),
        liability_minor=Decimal(int(outstanding)) * programme.point_value_minor,
        redemption_rate=(redeemed / issued) if issued else 0.0,
        months=[{"month": key, **monthly[key]} for key in sorted(monthly)],
    )  # fmt: skip


@dataclass
class Advocate:
    membership_id: int
    contact_id: int
    name: str
    referred: int
    revenue_minor: int
    revenue_display: str


def top_advocates(*, user: User, programme_id: int, limit: int = 20) -> list[Advocate]:
    """The members who referred the most people, with the revenue of those they referred
    (their order spend, net of reversals); three queries."""
    programme = programme_get(user=user, programme_id=programme_id)
    members = _members(user).filter(programme=programme)
    counts = list(
        members.annotate(referred=Count("referrals", distinct=True))
        .filter(referred__gt=0)
        .order_by("-referred", "pk")
        .values_list("pk", "contact_id", "contact__full_name", "referred")[:limit]
    )
    revenue = dict(
        PointsEntry.objects.filter(
            membership__referred_by_id__in=[row[0] for row in counts],
            source__in=(PointsEntry.Source.ORDER, PointsEntry.Source.REVERSAL),
        )
        .values("membership__referred_by_id")
        .annotate(total=Sum("spend_minor"))
        .values_list("membership__referred_by_id", "total")
    )
    return [
        Advocate(membership_id=pk, contact_id=contact_id, name=name, referred=referred,
                 revenue_minor=int(revenue.get(pk) or 0),
                 revenue_display=programme.money(int(revenue.get(pk) or 0)))
        for pk, contact_id, name, referred in counts
    ]  # fmt: skip


def referred_members(*, user: User, membership_id: int, limit: int = 50) -> list[Membership]:
    """The members one member referred (a visible membership), newest first."""
    membership_visible(by=user, membership_id=membership_id)
    return list(
        _members(user).filter(referred_by_id=membership_id).select_related("contact", "tier")
        .order_by("-joined_at", "-id")[:limit]
    )  # fmt: skip


def points_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """A contact's points entries as timeline items, newest first (points_entry_member_idx);
    only for users who may read loyalty."""
    if not can(user, "loyalty", "read"):
        return []
    entries = PointsEntry.objects.filter(
        membership__in=members_visible(user).filter(contact_id=contact_id)
    )
    if before is not None:
        entries = entries.filter(before.q(kind="points", at_field="at"))
    sources = dict(PointsEntry.Source.choices)
    return [
        TimelineItem(
            kind="points",
            at=e.at,
            key=e.pk,
            title=_("%(points)s loyalty points: %(source)s")
            % {"points": f"{e.points:+d}", "source": sources.get(e.source, e.source)},
            summary=e.reason,
            icon="points",
        )
        for e in entries.order_by("-at", "-id")[:limit]
    ]
