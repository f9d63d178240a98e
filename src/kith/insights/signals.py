"""Loyalty and feedback signals for the churn model, read in bulk (insights is above both).

One long frame (customer_id, at: Date, kind, value) in the engine's `signals` form
(kith.insights.engine.churn.SIGNAL_KINDS): the points ledger summed per contact and day, each
redemption, each tier change up or down (from the memberships' change history), each scored
text's signed sentiment and each NPS answer. The engine computes its features strictly before
a cutoff, so nothing here may leak the label.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db import connection
from django.db.models import F

from kith.core.models import ChangeRecord
from kith.feedback.models import SurveyResponse, TextSentiment
from kith.loyalty.models import Membership, PointsEntry, Tier

SCHEMA = {"customer_id": pl.Int64, "at": pl.Date, "kind": pl.String, "value": pl.Float64}


def _day(column: str) -> str:
    if connection.vendor == "sqlite":
        return f"substr({column}, 1, 10)"
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def _rows(sql: str, params: list[Any]) -> pl.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    raw = pl.DataFrame(
        rows,
        schema={"customer_id": pl.Int64, "at": pl.String, "kind": pl.String, "value": pl.Float64},
        orient="row",
    )
    return raw.with_columns(pl.col("at").str.slice(0, 10).str.to_date("%Y-%m-%d"))


def _quoted(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def signals_frame() -> pl.DataFrame:
    """Every contact's loyalty and feedback signals (see the module docstring)."""
    entry, member = _quoted(PointsEntry), _quoted(Membership)
    day = _day("e.at")
    ledger = _rows(
        f"SELECT m.contact_id, {day}, CASE WHEN e.source = 'redemption' THEN 'redemption'"  # noqa: S608
        f" ELSE 'points' END, SUM(e.points) FROM {entry} e JOIN {member} m"
        f" ON m.id = e.membership_id GROUP BY m.contact_id, {day},"
        " CASE WHEN e.source = 'redemption' THEN 'redemption' ELSE 'points' END",
        [],
    )
    # A redemption row is its points (< 0) in the balance, and one reward bought.
    redemptions = ledger.filter(pl.col("kind") == "redemption")
    frames = [
        ledger.with_columns(pl.lit("points").alias("kind")),
        redemptions.with_columns(pl.lit(1.0).alias("value")),
    ]
    frames.append(_tier_changes())
    sentiment = _rows(
        f"SELECT contact_id, {_day('text_at')}, 'sentiment', CASE label"  # noqa: S608
        " WHEN 'positive' THEN score WHEN 'negative' THEN -score ELSE 0 END"
        f" FROM {_quoted(TextSentiment)} WHERE contact_id IS NOT NULL",
        [],
    )
    nps = _rows(
        f"SELECT contact_id, {_day('submitted_at')}, 'nps', score"  # noqa: S608
        f" FROM {_quoted(SurveyResponse)} WHERE contact_id IS NOT NULL AND kind = %s"
        " AND score IS NOT NULL",
        ["nps"],
    )
    frames += [sentiment, nps]
    return pl.concat([f.select(list(SCHEMA)).cast(SCHEMA) for f in frames]).sort(  # type: ignore[arg-type]
        "customer_id", "at", "kind", "value"
    )


def _tier_changes() -> pl.DataFrame:
    """tier_up / tier_down per recorded tier change of a membership (names → positions)."""
    changes = list(
        ChangeRecord.objects.filter(model="loyalty.membership", field="tier").values_list(
            "object_id", "at", "old_value", "new_value"
        )
    )
    if not changes:
        return pl.DataFrame(schema=SCHEMA)
    members = dict(
        Membership.objects.filter(pk__in={c[0] for c in changes}).values_list("pk", F("contact_id"))
    )
    programmes = dict(
        Membership.objects.filter(pk__in=list(members)).values_list("pk", "programme_id")
    )
    position = {
        (programme_id, name): pos
        for programme_id, name, pos in Tier.objects.values_list("programme_id", "name", "position")
    }
    rows = []
    for member_id, at, old, new in changes:
        contact_id, programme_id = members.get(member_id), programmes.get(member_id)
        if contact_id is None:
            continue
        before = position.get((programme_id, old), -1)
        after = position.get((programme_id, new), -1)
        if after != before:
            rows.append((contact_id, at.date(), "tier_up" if after > before else "tier_down", 1.0))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")
