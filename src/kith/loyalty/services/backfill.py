"""Points for past orders in bulk (`kith loyalty backfill`, the demo): a chunk of orders per
transaction, a few queries per chunk whatever its size.

Each order earns what `order_points_earn` would give it (lines × rules × the member's
current tier, capped by the daily limit), exactly once (the same source key), so a backfill
can be run again or after live events. Contacts without a membership are enrolled (joined
at their first order in the chunk), without the sign-up bonus; referral bonuses are not
backfilled. Run the tier evaluation and the expiry afterwards (the command does).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kith.core.bulk import rows_insert
from kith.loyalty.models import Membership, PointsEntry, Programme, Tier
from kith.loyalty.services.earning import OrderFact, Rules, order_base_points
from kith.loyalty.services.ledger import months_add
from kith.loyalty.services.members import referral_codes_new

ENTRY_COLUMNS = ("membership_id", "source", "source_key", "order_id", "points", "spend_minor",
                 "tier_points", "at", "expires_at")  # fmt: skip


@dataclass
class BackfillResult:
    orders: int = 0  # orders seen
    earned: int = 0  # orders that earned now
    skipped: int = 0  # earned before, another currency, or nothing to earn
    points: int = 0
    members_new: int = 0


def orders_backfill_chunk(orders: list[OrderFact], *, result: BackfillResult) -> None:
    """Earn one chunk of orders in one transaction (see the module docstring)."""
    result.orders += len(orders)
    programmes = {p.currency: p for p in Programme.objects.filter(is_active=True)}
    by_programme: dict[int, list[OrderFact]] = defaultdict(list)
    for order in orders:
        programme = programmes.get(order.currency)
        if programme is None:
            result.skipped += 1
        else:
            by_programme[programme.pk].append(order)
    with transaction.atomic():
        for programme_id, facts in by_programme.items():
            programme = next(p for p in programmes.values() if p.pk == programme_id)
            _programme_chunk(programme, facts, result)


def _programme_chunk(programme: Programme, facts: list[OrderFact], result: BackfillResult) -> None:
    # Lock the members first, then look for what earned already: a live order event for one
    # of them waits for this chunk (or this chunk for it) instead of racing its check.
    contact_ids = sorted({fact.contact_id for fact in facts})
    members = {
        m.contact_id: m
        for m in Membership.objects.select_for_update(of=("self",))
        .select_related("tier")
        .filter(programme=programme, contact_id__in=contact_ids)
    }
    keys = {f"order:{fact.order_id}" for fact in facts}
    done = set(PointsEntry.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
    todo = [fact for fact in facts if f"order:{fact.order_id}" not in done]
    result.skipped += len(facts) - len(todo)
    if not todo:
        return
    first_at: dict[int, datetime] = {}
    for fact in todo:
        if fact.contact_id not in members:
            known = first_at.get(fact.contact_id)
            first_at[fact.contact_id] = fact.at if known is None else min(known, fact.at)
    if first_at:
        entry_tier = (
            Tier.objects.filter(programme=programme, threshold=0).order_by("position").first()
        )
        new = [
            Membership(
                programme=programme,
                contact_id=contact_id,
                enrolled_contact_id=contact_id,
                joined_at=at,
                tier=entry_tier,
                tier_since=at if entry_tier else None,
                referral_code=code,
            )
            for (contact_id, at), code in zip(
                first_at.items(), referral_codes_new(len(first_at)), strict=True
            )
        ]
        Membership.objects.bulk_create(new, batch_size=1000)
        members.update(
            {
                m.contact_id: m
                for m in Membership.objects.select_for_update(of=("self",))
                .select_related("tier")
                .filter(programme=programme, contact_id__in=list(first_at))
            }
        )
        result.members_new += len(first_at)
    earned_day: dict[tuple[int, date], int] = defaultdict(int)
    if programme.daily_limit:
        days = [timezone.localdate(f.at) for f in todo]
        rows = (
            PointsEntry.objects.filter(
                membership__in=[m.pk for m in members.values()],
                source__in=PointsEntry.EARNING, points__gt=0,
                at__date__gte=min(days), at__date__lte=max(days),
            )
            .annotate(day=TruncDate("at"))
            .values("membership_id", "day")
            .annotate(total=Sum("points"))
        )  # fmt: skip
        for row in rows:
            earned_day[(row["membership_id"], row["day"])] += int(row["total"])
    rules = Rules.of(programme.pk)
    months = programme.expiry_months
    entries: list[tuple] = []
    gains: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    for fact in sorted(todo, key=lambda f: (f.contact_id, f.at, f.order_id)):
        membership = members[fact.contact_id]
        multiplier = membership.tier.multiplier_percent if membership.tier else 100
        points = order_base_points(programme, rules, fact) * multiplier // 100
        if programme.daily_limit:
            day_key = (membership.pk, timezone.localdate(fact.at))
            points = max(0, min(points, programme.daily_limit - earned_day[day_key]))
            earned_day[day_key] += points
        if points <= 0:
            result.skipped += 1
            continue
        entries.append(
            (membership.pk, PointsEntry.Source.ORDER.value, f"order:{fact.order_id}", fact.order_id,
             points, fact.total_minor, points, fact.at,
             months_add(fact.at, months) if months else None)
        )  # fmt: skip
        gains[membership.pk] += points
        counts[membership.pk] += 1
    # The ledger rows without a model instance each (kith.core.bulk: COPY on PostgreSQL).
    rows_insert(PointsEntry, ENTRY_COLUMNS, entries)
    # One prepared UPDATE run for every member (executemany): Django's bulk_update builds a
    # CASE per batch that costs quadratic time in the batch; the rows are locked already.
    quote = connection.ops.quote_name
    table = quote(Membership._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {quote('balance')} = {quote('balance')} + %s, "  # noqa: S608
            f"{quote('version')} = {quote('version')} + %s WHERE {quote('id')} = %s",
            [(gain, counts[pk], pk) for pk, gain in gains.items()],
        )
    result.earned += len(entries)
    result.points += sum(gains.values())


def orders_backfill(orders: Iterable[OrderFact], *, chunk: int = 2000) -> BackfillResult:
    """Earn points for many past orders, `chunk` per transaction (see the module docstring)."""
    result = BackfillResult()
    batch: list[OrderFact] = []
    for order in orders:
        batch.append(order)
        if len(batch) >= chunk:
            orders_backfill_chunk(batch, result=result)
            batch = []
    if batch:
        orders_backfill_chunk(batch, result=result)
    return result
