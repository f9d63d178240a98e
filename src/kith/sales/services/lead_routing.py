"""Routing of new leads by score: the best lead to the rep with the most room.

The rule, in full: a team's leads still "new" are taken best score first (unscored last, then
oldest first). Each goes to the team's sales rep with the most free capacity — `capacity` open
leads (new, working or qualified) per rep, minus the open leads the rep already works (new ones
in this batch count as they are handed out). Ties go to the rep given fewer leads in this batch,
then the lower user id. When every rep is full the lead stays with its owner and is counted
as not routed. Each reassignment goes through lead_update (access, version, history, event).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F

from kith.identity.access import require, users_assignable, visible_to
from kith.identity.models import User
from kith.sales.models import Lead
from kith.sales.services.leads import lead_update

LEAD_CAPACITY = 25


@dataclass
class RoutingResult:
    routed: dict[int, list[int]] = field(default_factory=dict)  # rep id → lead ids, best first
    kept: list[int] = field(default_factory=list)  # no rep had room
    reps: int = 0


@transaction.atomic
def leads_route(
    *, by: User, team_id: int, capacity: int = LEAD_CAPACITY, limit: int = 500
) -> RoutingResult:
    """Hand the team's new leads (at most `limit`) to its sales reps, best score to the rep with
    the most free capacity (the rule is in the module docstring). `by` needs the leads edit
    right and the reps must be users `by` may assign."""
    require(by, "leads", "edit")
    reps = list(
        users_assignable(user=by, module="leads")
        .filter(team_id=team_id, role__slug="sales_rep")
        .order_by("pk")
    )
    load = dict(
        Lead.objects.filter(
            owner_id__in=[r.pk for r in reps],
            status__in=(Lead.Status.WORKING, Lead.Status.QUALIFIED),
        )
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    leads = list(
        visible_to(Lead.objects.all(), user=by, module="leads")
        .filter(team_id=team_id, status=Lead.Status.NEW)
        .order_by(F("score").desc(nulls_last=True), "created_at", "pk")[:limit]
    )
    result = RoutingResult(reps=len(reps))
    given: dict[int, int] = {r.pk: 0 for r in reps}
    for lead in leads:
        free = [(capacity - load.get(r.pk, 0) - given[r.pk], -given[r.pk], -r.pk, r) for r in reps]
        best = max(free, default=None, key=lambda t: t[:3])
        if best is None or best[0] <= 0:
            result.kept.append(lead.pk)
            continue
        rep = best[3]
        given[rep.pk] += 1
        result.routed.setdefault(rep.pk, []).append(lead.pk)
        if lead.owner_id != rep.pk:
            lead_update(by=by, lead_id=lead.pk, version=lead.version, owner_id=rep.pk)
    return result
