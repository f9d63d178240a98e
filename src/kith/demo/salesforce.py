"""Demo sales force data: monthly quotas for every rep (this month and the six before it) and
quarterly team quotas, sized from what the demo deals won, then one fit of the win-probability
model so the forecast page shows learned probabilities and a calibration curve, and one fit of
the lead-scoring model (every open lead gets its chance to convert)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from kith.demo.context import DemoContext
from kith.identity.models import Team
from kith.insights.lead_job import lead_scores_run
from kith.insights.win_job import win_scores_run
from kith.sales.models import Deal, Quota
from kith.sales.services.quotas import period_start_of, quota_set

MONTHS = 7


def demo_salesforce_load(context: DemoContext) -> None:
    admin = context.users["admin"]
    rng = context.rng("salesforce")
    reps = [u for u in context.users.values() if u.role_id and u.role.slug == "sales_rep"]
    today = timezone.localdate()
    month = period_start_of(Quota.Period.MONTH, today)
    starts = [month]
    for _i in range(MONTHS - 1):
        starts.append(period_start_of(Quota.Period.MONTH, starts[-1] - timedelta(days=1)))
    currency = (
        Deal.objects.values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("-total")
        .values_list("currency", flat=True)
        .first()
        or "USD"
    )
    won = Deal.objects.filter(outcome="won", currency=currency)
    made = 0
    for rep in reps:
        total = won.filter(owner=rep).aggregate(t=Sum("amount_minor"))["t"] or 0
        monthly = max(100_000, int(total / 13))  # about a year and a month of history
        for start in starts:
            target = int(monthly * rng.uniform(0.8, 1.3)) // 1000 * 1000
            quota_set(
                by=admin, owner_id=rep.pk, period=Quota.Period.MONTH, period_start=start,
                revenue_minor=target, currency=currency, deals_target=rng.randint(2, 6),
                activities_target=rng.choice((20, 30, 40)),
            )  # fmt: skip
            made += 1
    quarter = period_start_of(Quota.Period.QUARTER, today)
    for team in Team.objects.all():
        total = won.filter(team=team).aggregate(t=Sum("amount_minor"))["t"] or 0
        quota_set(
            by=admin, team_id=team.pk, period=Quota.Period.QUARTER, period_start=quarter,
            revenue_minor=max(300_000, int(total / 4.3)) // 1000 * 1000, currency=currency,
        )  # fmt: skip
        made += 1
    context.report("Quotas", made, made)
    run = win_scores_run()
    context.counts["quotas"] = made
    context.counts["win_scores"] = run.deals_scored
    context.counts["lead_scores"] = lead_scores_run().leads_scored
