"""Reads of quotas: attainment to date, pacing, history and the leaderboard.

Attainment counts the deals won inside the period by the rep who owns them or, for a team
quota, by the deal's team, in the quota's currency: deals in other currencies are converted at
the admins' exchange rate of the period's last day (today for the running period); a currency
without a rate is left out and named (`unconverted`). Activities are the interactions the rep
(or the team's members) logged in the period, with the mix of calls, emails and meetings against
the quota's targets. Pipeline coverage is the open pipeline expected to close by the period's
end (overdue deals included), converted the same way, over what is left of the target.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
from kith.sales.services.quotas import MIX_KINDS, period_bounds, period_start_of
from kith.sales.services.rates import RateBook

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
    mix: dict[str, int] = field(default_factory=dict)  # "calls", "emails", "meetings" → count
    open_pipeline_minor: int = 0
    unconverted: list[str] = field(default_factory=list)  # currencies without a rate

    @property
    def coverage(self) -> float | None:
        """Open pipeline over the remaining target (×); None when the target is met."""
        remaining = self.remaining_minor
        return None if not remaining else round(self.open_pipeline_minor / remaining, 2)

    @property
    def mix_rows(self) -> list[tuple[str, int, int | None, float | None]]:
        """(kind, done, target, % of target) for calls, emails and meetings."""
        rows = []
        for kind in MIX_KINDS:
            target = getattr(self.quota, f"{kind}_target")
            done = self.mix.get(kind, 0)
            rows.append((kind, done, target, round(100 * done / target, 1) if target else None))
        return rows

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
            "activity_mix": {
                kind: {"done": done, "target": target, "pct": pct}
                for kind, done, target, pct in self.mix_rows
            },
            "open_pipeline_minor": self.open_pipeline_minor,
            "pipeline_coverage": self.coverage,
            "unconverted_currencies": self.unconverted,
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


MIX_OF_KIND = {"call": "calls", "email": "emails", "meeting": "meetings"}
Totals = dict[tuple[Any, str], tuple[int, int]]  # (holder, currency) → (amount, deals)


def _totals(rows: Any, key: str) -> Totals:
    return {
        (row[key], row["currency"]): (int(row["total"] or 0), int(row["n"]))
        for row in rows.values(key, "currency")
        .annotate(total=Sum("amount_minor"), n=Count("id"))
        .order_by()
    }


def _mix(rows: Any, key: str) -> tuple[dict[Any, int], dict[Any, dict[str, int]]]:
    counts: dict[Any, int] = defaultdict(int)
    mix: dict[Any, dict[str, int]] = defaultdict(dict)
    for holder, kind, n in (
        rows.values(key, "kind").annotate(n=Count("id")).values_list(key, "kind", "n").order_by()
    ):
        counts[holder] += n
        if kind in MIX_OF_KIND:
            mix[holder][MIX_OF_KIND[kind]] = n
    return counts, mix


def attainments(quotas: list[Quota], *, today: date | None = None) -> list[Attainment]:
    """Attainment of each quota (loaded with owner and team): per distinct period, one query
    each for the reps' won deals, open pipeline and activities, and as many for the teams'
    (plus one or two per pair of currencies converted)."""
    today = today or timezone.localdate()
    by_period: dict[tuple[str, date], list[Quota]] = defaultdict(list)
    for quota in quotas:
        by_period[(quota.period, quota.period_start)].append(quota)
    result: dict[int, Attainment] = {}
    for (period, start), group in by_period.items():
        start, end = period_bounds(period, start)
        convert = RateBook(min(today, end - timedelta(days=1)))
        won = Deal.objects.filter(
            outcome="won", closed_at__gte=_aware(start), closed_at__lt=_aware(end)
        )
        pipeline = Deal.objects.filter(outcome="open", expected_close__lt=end)
        acts = Interaction.objects.filter(
            occurred_at__gte=_aware(start), occurred_at__lt=_aware(end)
        )
        reps = [q.owner_id for q in group if q.owner_id is not None]
        teams = [q.team_id for q in group if q.owner_id is None and q.team_id is not None]
        rep_won: Totals = {}
        rep_open: Totals = {}
        team_won: Totals = {}
        team_open: Totals = {}
        rep_acts: tuple[dict[Any, int], dict[Any, dict[str, int]]] = ({}, {})
        team_acts: tuple[dict[Any, int], dict[Any, dict[str, int]]] = ({}, {})
        if reps:
            rep_won = _totals(won.filter(owner_id__in=reps), "owner_id")
            rep_open = _totals(pipeline.filter(owner_id__in=reps), "owner_id")
            rep_acts = _mix(acts.filter(owner_id__in=reps), "owner_id")
        if teams:
            team_won = _totals(won.filter(team_id__in=teams), "team_id")
            team_open = _totals(pipeline.filter(team_id__in=teams), "team_id")
            team_acts = _mix(acts.filter(owner__team_id__in=teams), "owner__team_id")
        for quota in group:
            rep = quota.owner_id is not None
            holder = quota.owner_id if rep else quota.team_id
            total, n, missing = convert.total(rep_won if rep else team_won, holder, quota.currency)
            open_minor, _n, missing_open = convert.total(
                rep_open if rep else team_open, holder, quota.currency
            )
            counts, mix = rep_acts if rep else team_acts
            result[quota.pk] = Attainment(
                quota=quota,
                holder=str(quota.owner) if rep else str(quota.team),
                start=start,
                end=end,
                won_minor=int(total),
                won_deals=n,
                activities=counts.get(holder, 0),
                elapsed=_elapsed(start, end, today),
                mix=mix.get(holder, {}),
                open_pipeline_minor=open_minor,
                unconverted=sorted(set(missing) | set(missing_open)),
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
