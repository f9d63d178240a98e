"""Deals at risk, each with the reason and a suggested next action: open deals the user may see
that have had no logged activity for `quiet_days`, that stay in their stage more than twice as
long as the deals that left it did on average, or whose expected close date has passed. The
reasons are checked in that order; a deal is listed once, with every reason that applies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.engagement.selectors import interactions_last_at
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.sales.models import Deal, DealStageChange

STALL_FACTOR = 2.0


@dataclass
class DealAtRisk:
    deal: Deal
    reasons: list[str] = field(default_factory=list)
    action: str = ""


def deals_at_risk(
    *, user: User, quiet_days: int = 14, limit: int = 25, today: date | None = None
) -> list[DealAtRisk]:
    now = timezone.now()
    today = today or timezone.localdate()
    deals = list(
        visible_to(Deal.objects.all(), user=user, module="deals")
        .filter(outcome="open")
        .select_related("stage", "owner")
        .order_by("expected_close", "id")[:2000]
    )
    last = interactions_last_at(record_model="sales.deal", record_ids=[d.pk for d in deals])
    usual = dict(
        DealStageChange.objects.filter(from_stage__isnull=False, seconds_in_from__isnull=False)
        .values("from_stage_id")
        .annotate(avg=Avg("seconds_in_from"))
        .values_list("from_stage_id", "avg")
        .order_by()
    )
    found = []
    for deal in deals:
        risk = DealAtRisk(deal=deal)
        moves = [t for t in (last.get(deal.pk), deal.stage_entered_at) if t is not None]
        touched = max(moves) if moves else deal.created_at
        if touched < now - timedelta(days=quiet_days):
            risk.reasons.append(_("no activity for %(days)d days") % {"days": (now - touched).days})
            risk.action = _("Call or write to the customer to agree on a next step.")
        average = usual.get(deal.stage_id)
        if deal.stage_entered_at and average:
            stayed = (now - deal.stage_entered_at).total_seconds()
            if stayed > STALL_FACTOR * average:
                risk.reasons.append(
                    _("%(days)d days in %(stage)s, usually %(usual)d")
                    % {
                        "days": stayed // 86400,
                        "stage": deal.stage.name,
                        "usual": round(average / 86400),
                    }
                )
                risk.action = risk.action or _(
                    "Ask what blocks the move to the next stage, or mark the deal lost."
                )
        if deal.expected_close and deal.expected_close < today:
            risk.reasons.append(_("expected to close on %(day)s") % {"day": deal.expected_close})
            risk.action = risk.action or _("Confirm a new close date with the customer.")
        if risk.reasons:
            found.append(risk)
        if len(found) >= limit:
            break
    return found
