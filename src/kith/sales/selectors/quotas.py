"""Reads of quotas: attainment to date, pacing, history and the leaderboard.

Attainment counts the deals won inside the period in the quota's currency (deals in other
currencies are not converted), by the rep who owns them or, for a team quota, by the deal's
team; activities are the interactions the rep (or the team's members) logged in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.engagement.models import Interaction
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales.models import Deal, Quota
from kith.sales.money import money_format
from kith.sales.services.quotas import period_bounds, period_start_of

QUOTA_ORDERING = Ordering("period_start", descending=True)


@dataclass
class Attainment:
    quota: Quota
    holder: str  # the rep's or the team's name
    start: date
    end: date  # exclusive
    won_minor: int = 0
    won_deals: int = 0
    activities: int = 0
    elapsed: float = 1.0  # share of the period gone by

    @property
    def pct(self) -> float | None:
        target = self.quota.revenue_minor
        return None if not target else round(100 * self.won_minor / target, 1)

    @property
    def pace_pct(self) -> float | None:
        """At this pace: the share of the target the period would end at."""
        target = self.quota.revenue_minor
        if not target or self.elapsed <= 0:
            return None
        return round(100 * self.won_minor / self.elapsed / target, 1)

    @property
    def remaining_minor(self) -> int:
        return max(0, self.quota.revenue_minor - self.won_minor)

    @property
    def deals_pct(self) -> float | None:
        target = self.quota.deals_target
        return None if not target else round(100 * self.won_deals / target, 1)

    @property
    def activities_pct(self) -> float | None:
        target = self.quota.activities_target
        return None if not target else round(100 * self.activities / target, 1)

    @property
    def target_display(self) -> str:
        return money_format(self.quota.revenue_minor, self.quota.currency)

    @property
    def won_display(self) -> str:
        return money_format(self.won_minor, self.quota.currency)

    @property
    def pace_text(self) -> str:
        pace = self.pace_pct
        if pace is None:
            return ""
        return _("at this pace: %(pct)s %% of target") % {"pct": f"{pace:.0f}"}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.quota.pk,
            "owner_id": self.quota.owner_id,
            "team_id": self.quota.team_id,
            "holder": self.holder,
            "period": self.quota.period,
            "period_start": self.start.isoformat(),
            "period_end": self.end.isoformat(),
            "currency": self.quota.currency,
            "revenue_minor": self.quota.revenue_minor,
            "won_minor": self.won_minor,
            "attainment_pct": self.pct,
            "pace_pct": self.pace_pct,
            "deals_target": self.quota.deals_target,
            "won_deals": self.won_deals,
            "activities_target": self.quota.activities_target,
            "activities": self.activities,
            "version": self.quota.version,
        }


def quotas_visible(*, user: User) -> QuerySet[Quota]:
    return visible_to(Quota.objects.all(), user=user, module="quotas")


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _elapsed(start: date, end: date, today: date) -> float:
    total = (end - start).days
    gone = (min(max(today, start), end) - start).days
    if today >= start and today < end:
        gone += 1  # today counts as begun
    return min(1.0, gone / total)


def attainments(quotas: list[Quota], *, today: date | None = None) -> list[Attainment]:
    """Attainment of each quota (loaded with owner and team): per distinct period, one query
    for the reps' won deals, one for the teams', one for the activities (two with teams)."""
    today = today or timezone.localdate()
    by_period: dict[tuple[str, date], list[Quota]] = defaultdict(list)
    for quota in quotas:
        by_period[(quota.period, quota.period_start)].append(quota)
    result: dict[int, Attainment] = {}
    for (period, start), group in by_period.items():
        start, end = period_bounds(period, start)
        won = Deal.objects.filter(
            outcome="won", closed_at__gte=_aware(start), closed_at__lt=_aware(end)
        )
        acts = Interaction.objects.filter(
            occurred_at__gte=_aware(start), occurred_at__lt=_aware(end)
        )
        reps = [q for q in group if q.owner_id is not None]
        teams = [q for q in group if q.owner_id is None]
        rep_won: dict[tuple[Any, str], tuple[int, int]] = {}
        team_won: dict[tuple[Any, str], tuple[int, int]] = {}
        rep_acts: dict[Any, int] = {}
        team_acts: dict[Any, int] = {}
        if reps:
            for row in (
                won.filter(owner_id__in=[q.owner_id for q in reps if q.owner_id is not None])
                .values("owner_id", "currency")
                .annotate(total=Sum("amount_minor"), n=Count("id"))
                .order_by()
            ):
                rep_won[(row["owner_id"], row["currency"])] = (row["total"] or 0, row["n"])
            rep_acts = dict(
                acts.filter(owner_id__in=[q.owner_id for q in reps])
                .values("owner_id")
                .annotate(n=Count("id"))
                .values_list("owner_id", "n")
                .order_by()
            )
        if teams:
            team_ids = [q.team_id for q in teams if q.team_id is not None]
            for team_row in (
                won.filter(team_id__in=team_ids)
                .values("team_id", "currency")
                .annotate(total=Sum("amount_minor"), n=Count("id"))
                .order_by()
            ):
                team_won[(team_row["team_id"], team_row["currency"])] = (
                    team_row["total"] or 0,
                    team_row["n"],
                )
            team_acts = dict(
                acts.filter(owner__team_id__in=team_ids)
                .values("owner__team_id")
                .annotate(n=Count("id"))
                .values_list("owner__team_id", "n")
                .order_by()
            )
        for quota in group:
            if quota.owner_id is not None:
                total, n = rep_won.get((quota.owner_id, quota.currency), (0, 0))
                activities = rep_acts.get(quota.owner_id, 0)
                holder = str(quota.owner)
            else:
                total, n = team_won.get((quota.team_id, quota.currency), (0, 0))
                activities = team_acts.get(quota.team_id, 0)
                holder = str(quota.team)
            result[quota.pk] = Attainment(
                quota=quota,
                holder=holder,
                start=start,
                end=end,
                won_minor=int(total),
                won_deals=n,
                activities=activities,
                elapsed=_elapsed(start, end, today),
            )
    return [result[q.pk] for q in quotas]


def quota_list(
    *,
    user: User,
    period: str | None = None,
    period_start: date | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    cursor: str | None = None,
    limit: int = 25,
    today: date | None = None,
) -> tuple[Page, list[Attainment]]:
    """A page of the visible quotas (newest period first) with their attainment; with owner_id
    or team_id it is that holder's history."""
    quotas = quotas_visible(user=user).select_related("owner", "team")
    if period:
        quotas = quotas.filter(period=period)
    if period_start:
        quotas = quotas.filter(period_start=period_start)
    if owner_id:
        quotas = quotas.filter(owner_id=owner_id)
    elif team_id:
        quotas = quotas.filter(team_id=team_id, owner__isnull=True)
    page = paginate(quotas, ordering=QUOTA_ORDERING, cursor=cursor, limit=limit)
    return page, attainments(list(page.items), today=today)


def quota_get(*, user: User, quota_id: int, today: date | None = None) -> Attainment:
    quota = quotas_visible(user=user).select_related("owner", "team").filter(pk=quota_id).first()
    if quota is None:
        raise NotFound(_("Not found."))
    return attainments([quota], today=today)[0]


LEADERBOARD_SIZE = 100


def leaderboard(
    *, user: User, period: str, day: date | None = None, today: date | None = None
) -> list[Attainment]:
    """The visible reps' quotas of the period holding `day` (default today), best attainment
    first (at most LEADERBOARD_SIZE reps)."""
    today = today or timezone.localdate()
    start = period_start_of(period, day or today)
    quotas = list(
        quotas_visible(user=user)
        .filter(period=period, period_start=start, owner__isnull=False)
        .select_related("owner", "team")
        .order_by("id")[:LEADERBOARD_SIZE]
    )
    rows = attainments(quotas, today=today)
    return sorted(rows, key=lambda a: (-(a.pct or 0.0), a.holder))
