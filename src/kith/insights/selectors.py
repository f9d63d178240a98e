"""Reads of scores, segments, win-back lists, CLV distribution, cohorts and KPIs.

Scores carry no owner or team: every read goes through the contact's `visible_to` (module
"contacts"), so a rep sees the scores, segment counts and KPIs of the customers they may see.
Money is in major units of the latest run's currency.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.errors import FieldError, NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.core.validation import date_range_check
from kith.customers.models import Contact
from kith.identity.access import grant_for, visible_to
from kith.identity.models import Scope, User
from kith.insights.models import CustomerScore, ScoringRun
from kith.insights.vocabulary import SEGMENT_NAMES, segment_name
from kith.sales.models import Deal, Lead, Order
from kith.sales.money import minor_digits
from kith.service.models import Ticket

# Polars, NumPy and the engine are imported inside the functions that compute with them: this
# module is imported at start-up (the contact filters), and a web worker or `kith --help`
# should not pay for the analytics libraries (issue #9, item 8).

__all__ = [
    "ClvHistogram",
    "CohortTable",
    "KpiTable",
    "SegmentRow",
    "SegmentSummary",
    "churn_risk_list",
    "clv_histogram",
    "cohort_table",
    "contact_score",
    "contacts_by_score",
    "kpis_by_period",
    "model_quality",
    "run_latest",
    "scores_visible",
    "segment_summary",
]

CHURN_RISK = Ordering("churn_risk", descending=True)
MAX_PAGE = 200
HISTOGRAM_BINS = 20
# The longest KPI range per period, in days: about 120 rows of months or quarters, 2 years of
# weeks (a longer range costs seconds and megabytes per request).
KPI_MAX_DAYS = {"month": 3660, "quarter": 3660, "week": 731}


def _visible_contacts(user: User) -> QuerySet[Contact]:
    return visible_to(Contact.objects.all(), user=user, module="contacts")


def scores_visible(*, user: User) -> QuerySet[CustomerScore]:
    """The scores of the contacts `user` may see."""
    return CustomerScore.objects.filter(contact__in=_visible_contacts(user).values("pk"))


def run_latest() -> ScoringRun | None:
    """The newest scoring run that finished well (None before the first one)."""
    return (
        ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED)
        .order_by("-started_at", "-id")
        .first()
    )


def _sees_all(user: User) -> bool:
    grant = grant_for(user, "contacts")
    return grant is not None and grant.scope == Scope.ALL


# Run metrics that count the whole customer base: not shown to a user who sees part of it.
_BASE_COUNTS = ("contacts", "buyers", "orders", "orders_skipped")


def run_latest_for(*, user: User) -> ScoringRun | None:
    """run_latest() as `user` may see it: for a user who does not see every contact, the
    number scored is of their visible contacts and the metrics drop the company-wide counts
    (customers, buyers, orders; the customers per calibration bin). Not saved."""
    run = run_latest()
    if run is None or _sees_all(user):
        return run
    run.metrics = _metrics_scoped(run.metrics or {})
    run.customers_scored = scores_visible(user=user).count()
    return run


def _metrics_scoped(metrics: dict[str, Any]) -> dict[str, Any]:
    scoped = {k: v for k, v in metrics.items() if k not in _BASE_COUNTS}
    churn = scoped.get("churn")
    if isinstance(churn, dict) and "calibration" in churn:
        scoped["churn"] = {k: v for k, v in churn.items() if k != "calibration"}
    return scoped


def contact_score(*, user: User, contact_id: int) -> CustomerScore | None:
    """The scores of one contact (NotFound if the contact is not visible; None if not scored)."""
    if not _visible_contacts(user).filter(pk=contact_id).exists():
        raise NotFound(_("Not found."))
    return CustomerScore.objects.filter(contact_id=contact_id).first()


# --- segments -------------------------------------------------------------------------------


@dataclass
class SegmentRow:
    code: str
    name: Any
    customers: int
    revenue: float
    revenue_share: float
    # Customers who were in another segment (or none) at the scoring before.
    moved_in: int = 0
    moved_out: int = 0


@dataclass
class SegmentSummary:
    rows: list[SegmentRow]
    customers: int  # who have bought
    no_purchases: int
    # (from code, to code, customers) for every move, biggest first; to "" is "no purchases".
    movement: list[tuple[str, str, int]] = field(default_factory=list)
    # r_score -> f_score -> customers (the R x F grid of the RFM map).
    grid: dict[int, dict[int, int]] = field(default_factory=dict)


def segment_summary(*, user: User) -> SegmentSummary:
    """Customers and revenue share per segment, movement since the scoring before, the R x F
    grid. Three aggregate queries over the visible scores."""
    scores = scores_visible(user=user)
    per_segment = {
        row["segment"]: row
        for row in scores.values("segment")
        .annotate(customers=Count("pk"), revenue=Sum("monetary"))
        .order_by()
    }
    moves = list(
        # Moves between segments; a first scoring (previous "") is not a move.
        scores.exclude(segment=F("previous_segment"))
        .exclude(previous_segment="")
        .values_list("previous_segment", "segment")
        .annotate(customers=Count("pk"))
        .order_by()
    )
    grid: dict[int, dict[int, int]] = {r: dict.fromkeys(range(1, 6), 0) for r in range(1, 6)}
    for r_score, f_score, count in (
        scores.filter(r_score__isnull=False)
        .values_list("r_score", "f_score")
        .annotate(customers=Count("pk"))
        .order_by()
    ):
        grid.setdefault(r_score, {})[f_score] = count
    total_revenue = sum(float(row["revenue"] or 0) for code, row in per_segment.items() if code)
    rows = []
    for code in SEGMENT_NAMES:
        row = per_segment.get(code, {"customers": 0, "revenue": 0.0})
        revenue = float(row["revenue"] or 0)
        rows.append(
            SegmentRow(
                code=code,
                name=segment_name(code),
                customers=int(row["customers"]),
                revenue=round(revenue, 2),
                revenue_share=round(revenue / total_revenue, 4) if total_revenue else 0.0,
                moved_in=sum(n for old, new, n in moves if new == code and old != code),
                moved_out=sum(n for old, new, n in moves if old == code and new != code),
            )
        )
    no_purchases = int(per_segment.get("", {"customers": 0})["customers"])
    return SegmentSummary(
        rows=rows,
        customers=sum(r.customers for r in rows),
        no_purchases=no_purchases,
        movement=sorted(((old, new, n) for old, new, n in moves), key=lambda m: -m[2]),
        grid=grid,
    )


# --- win-back list, CLV distribution --------------------------------------------------------


def churn_risk_list(
    *,
    user: User,
    cursor: str | None = None,
    limit: int = 25,
    churn_risk_min: float = 0.0,
) -> Page[CustomerScore]:
    """Visible customers by churn risk, highest first (the win-back list), with their contact."""
    scores = (
        scores_visible(user=user)
        .filter(churn_risk__isnull=False, churn_risk__gte=churn_risk_min)
        .select_related("contact")
        .only(
            "contact_id",
            "segment",
            "churn_risk",
            "churn_drivers",
            "clv",
            "recency_days",
            "frequency",
            "monetary",
            "contact__full_name",
            "contact__owner_id",
            "contact__team_id",
        )
    )
    return paginate(scores, ordering=CHURN_RISK, cursor=cursor, limit=min(max(limit, 1), MAX_PAGE))


@dataclass
class ClvHistogram:
    edges: list[float]  # bins + 1 edges; the last bin holds everything from edges[-2] up
    counts: list[int]
    customers: int
    total: float
    median: float | None


def clv_histogram(*, user: User, bins: int = HISTOGRAM_BINS) -> ClvHistogram:
    """How the visible customers' lifetime values spread: equal-width bins up to the 99th
    percentile, the last bin open-ended so a few whales do not squash the chart."""
    import numpy as np

    values = np.fromiter(
        scores_visible(user=user)
        .filter(clv__isnull=False)
        .values_list("clv", flat=True)
        .iterator(chunk_size=50_000),
        dtype=np.float64,
    )
    if values.size == 0:
        return ClvHistogram(edges=[], counts=[], customers=0, total=0.0, median=None)
    top = float(np.quantile(values, 0.99))
    low = min(0.0, float(values.min()))
    if top <= low:
        top = low + 1.0
    edges = np.linspace(low, top, bins + 1)
    counts, _unused = np.histogram(np.clip(values, low, top), bins=edges)
    return ClvHistogram(
        edges=[round(float(e), 2) for e in edges],
        counts=[int(c) for c in counts],
        customers=int(values.size),
        total=round(float(values.sum()), 2),
        median=round(float(np.median(values)), 2),
    )


# --- model quality -------------------------------------------------------------------------


def model_quality(run: ScoringRun | None, *, user: User | None = None) -> dict[str, Any]:
    """What the latest run's models were fitted on and how well they did on held-out data.

    With `user` who does not see every contact, the counts are of their visible contacts
    and orders (the company-wide ones are not theirs to see)."""
    if run is None:
        return {"run": None}
    if user is not None and not _sees_all(user):
        run.metrics = _metrics_scoped(run.metrics or {})
        quality = model_quality(run)
        visible = _visible_contacts(user)
        quality["contacts"] = visible.count()
        quality["buyers"] = scores_visible(user=user).exclude(segment="").count()
        quality["orders"] = Order.objects.filter(contact__in=visible.values("pk")).count()
        return quality
    metrics = run.metrics or {}
    churn = metrics.get("churn") or {}
    calibration = []
    for row in churn.get("calibration") or []:
        if isinstance(row, list) and len(row) == 3:
            calibration.append((row[0], row[1], row[2]))
        elif isinstance(row, dict):
            calibration.append(
                (
                    row.get("predicted", row.get("mean_predicted")),
                    row.get("observed", row.get("actual", row.get("fraction_positive"))),
                    row.get("customers", row.get("count")),
                )
            )
    return {
        "run": run,
        "currency": metrics.get("currency", ""),
        "contacts": metrics.get("contacts"),
        "buyers": metrics.get("buyers"),
        "orders": metrics.get("orders"),
        "churn": churn,
        "calibration": calibration,
        "clv_holdout": metrics.get("clv_holdout") or {},
        "bgnbd": metrics.get("bgnbd") or {},
        "hit_rate": metrics.get("hit_rate_at_5"),
    }


# --- contacts-list filters (registered with kith.customers in InsightsConfig.ready) ----------


def _number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise FieldError.one(name, _("Enter a number.")) from exc
    if value != value:  # NaN
        raise FieldError.one(name, _("Enter a number."))
    return value


def contacts_by_score(contacts: QuerySet[Contact], raw: str, *, name: str) -> QuerySet[Contact]:
    """Contacts narrowed by one score filter (clv_min, clv_max, churn_risk_min, churn_risk_max,
    segment): a subquery on the score table's indexes, in the same query as the list."""
    if name == "segment":
        if raw not in SEGMENT_NAMES and raw != "none":
            raise FieldError.one(name, _("Choose a segment."))
        condition = Q(segment="") if raw == "none" else Q(segment=raw)
    else:
        field_name, bound = name.rsplit("_", 1)
        lookup = "gte" if bound == "min" else "lte"
        condition = Q(**{f"{field_name}__{lookup}": _number(name, raw)})
    return contacts.filter(pk__in=CustomerScore.objects.filter(condition).values("contact_id"))


def segment_choices() -> list[tuple[str, Any]]:
    return [*((code, segment_name(code)) for code in SEGMENT_NAMES), ("none", segment_name(""))]


# --- cache of computed frames ---------------------------------------------------------------


def _scope_key(user: User, *parts: Any) -> str:
    """A cache key for `user`'s view of the latest run: same visible contacts, same key."""
    run = run_latest()
    sql, params = _contacts_sql(user) or ("", [])
    digest = hashlib.sha256(repr((sql, params, run.pk if run else None, parts)).encode())
    return f"insights:{digest.hexdigest()[:32]}"


def _cached(key: str, compute: Any, timeout: int = 3600) -> Any:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# --- KPIs and cohorts (computed by the engine from frames read in bulk, cached per run) -------


def _contacts_sql(user: User) -> tuple[str, Any] | None:
    """The visible contacts' ids as SQL for the frame readers (None: every contact)."""
    contacts = _visible_contacts(user)
    if contacts.query.is_empty():
        return "SELECT NULL WHERE 1 = 0", []
    if not contacts.query.where:
        return None
    sql, params = contacts.values("pk").query.sql_with_params()
    return sql, params


def _currency() -> str:
    from kith.insights import jobs

    run = run_latest()
    if run is not None and (run.metrics or {}).get("currency"):
        return str(run.metrics["currency"])
    return jobs.reporting_currency()


KPI_COLUMNS: tuple[tuple[str, Any, str], ...] = (
    ("new_customers", gettext_lazy("New customers"), "int"),
    ("active_customers", gettext_lazy("Active customers"), "int"),
    ("churned_customers", gettext_lazy("Churned customers"), "int"),
    ("retention_rate", gettext_lazy("Retention"), "percent"),
    ("churn_rate", gettext_lazy("Churn rate"), "percent"),
    ("revenue", gettext_lazy("Revenue"), "money"),
    ("orders", gettext_lazy("Orders"), "int"),
    ("average_order_value", gettext_lazy("Average order value"), "money"),
    ("purchase_frequency", gettext_lazy("Purchases per active customer"), "ratio"),
)


@dataclass
class KpiTable:
    columns: list[tuple[str, Any]]
    rows: list[tuple[str, list[str | None]]]  # period label, formatted values
    records: list[dict[str, Any]]  # raw values by column, with "period"
    totals: list[tuple[Any, str | None]]
    totals_by_key: dict[str, float | None]
    chart: dict[str, Any]
    segment_revenue: list[tuple[Any, float]]


def _period_label(day: dt.date, period: str) -> str:
    if period == "month":
        return f"{day:%Y-%m}"
    if period == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return day.isoformat()


def _formatted(value: Any, kind: str) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "percent_points":  # already on a 0-100 scale (engine.kpis.csat)
        return f"{value:.1f}%"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{int(value):,}"


def kpis_by_period(*, user: User, start: dt.date, end: dt.date, period: str = "month") -> KpiTable:
    """New, active and churned customers, retention and churn rate, revenue, orders, average
    order value and purchase frequency per period over the visible customers (engine.kpis);
    revenue per segment in the range; lead conversion, win rate, sales cycle and CSAT over it."""
    date_range_check(start=start, end=end, max_days=KPI_MAX_DAYS.get(period, 3660))
    key = _scope_key(user, "kpis", start, end, period)
    table: KpiTable = _cached(key, lambda: _kpis_compute(user, start, end, period))
    return table


def _kpis_compute(user: User, start: dt.date, end: dt.date, period: str) -> KpiTable:
    from kith.insights import jobs
    from kith.insights.engine import kpis

    currency = _currency()
    contacts_sql = _contacts_sql(user)
    transactions = jobs.orders_frame(currency=currency, contacts_sql=contacts_sql)
    frame = kpis.kpis_by_period(
        transactions.select("customer_id", "at", "amount"), start=start, end=end, period=period
    )
    records = []
    rows = []
    for record in frame.to_dicts():
        label = _period_label(record["period_start"], period)
        records.append({"period": label, **{k: record.get(k) for k, _l, _f in KPI_COLUMNS}})
        rows.append((label, [_formatted(record.get(k), kind) for k, _l, kind in KPI_COLUMNS]))
    totals_by_key = _range_kpis(user, start, end)
    labels = {
        "lead_conversion": (gettext_lazy("Lead conversion"), "percent"),
        "win_rate": (gettext_lazy("Win rate"), "percent"),
        "sales_cycle_days": (gettext_lazy("Sales cycle (median days to win)"), "ratio"),
        "csat": (gettext_lazy("CSAT (share of 4 and 5 answers)"), "percent_points"),
    }
    totals = [
        (labels[k][0], _formatted(v, labels[k][1])) for k, v in totals_by_key.items() if k in labels
    ]
    chart = {
        "labels": [label for label, _values in rows],
        "series": [
            {"label": str(name), "values": [r[key] for r in records]}
            for key, name, _kind in KPI_COLUMNS[:3]
        ],
    }
    return KpiTable(
        columns=[(k, label) for k, label, _f in KPI_COLUMNS],
        rows=rows,
        records=records,
        totals=totals,
        totals_by_key=totals_by_key,
        chart=chart,
        segment_revenue=_segment_revenue(user, start, end, currency),
    )


def _aware(day: dt.date, end: bool = False) -> dt.datetime:
    moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
    return timezone.make_aware(moment, dt.UTC)


def _range_kpis(user: User, start: dt.date, end: dt.date) -> dict[str, float | None]:
    """Lead conversion, win rate, sales cycle and CSAT over [start, end], each through its own
    module's permission gate (leads, deals, tickets)."""
    import polars as pl

    from kith.insights.engine import kpis

    since, until = _aware(start), _aware(end, end=True)
    leads = visible_to(Lead.objects.all(), user=user, module="leads").filter(
        created_at__gte=since, created_at__lt=until
    )
    lead_frame = pl.DataFrame(
        list(leads.values_list("created_at", "converted_at", "status").iterator(chunk_size=20_000)),
        schema={
            "created_at": pl.Datetime("us", "UTC"),
            "converted_at": pl.Datetime("us", "UTC"),
            "status": pl.String,
        },
        orient="row",
    )
    deals = visible_to(Deal.objects.all(), user=user, module="deals").filter(
        closed_at__gte=since, closed_at__lt=until
    )
    deal_frame = pl.DataFrame(
        list(deals.values_list("outcome", "created_at", "closed_at").iterator(chunk_size=20_000)),
        schema={
            "status": pl.String,
            "created_at": pl.Datetime("us", "UTC"),
            "closed_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    answers = visible_to(Ticket.objects.all(), user=user, module="tickets").filter(
        csat_at__gte=since, csat_at__lt=until, csat_score__isnull=False
    )
    csat_scores = pl.Series(
        "csat", list(answers.values_list("csat_score", flat=True)), dtype=pl.Int64
    )
    return {
        "lead_conversion": kpis.lead_conversion_rate(lead_frame),
        "win_rate": kpis.win_rate(deal_frame),
        "sales_cycle_days": kpis.sales_cycle_days(deal_frame),
        "csat": kpis.csat(csat_scores),
    }


def _segment_revenue(
    user: User, start: dt.date, end: dt.date, currency: str
) -> list[tuple[Any, float]]:
    """Revenue in [start, end] by the customers' current segment (one aggregate query)."""
    orders = visible_to(Order.objects.all(), user=user, module="orders").filter(
        contact__in=_visible_contacts(user).values("pk"),
        status__in=Order.COUNTED,
        currency=currency,
        ordered_at__gte=_aware(start),
        ordered_at__lt=_aware(end, end=True),
    )
    segments = CustomerScore.objects.filter(contact_id=OuterRef("contact_id")).values("segment")
    totals = (
        orders.annotate(segment=Subquery(segments[:1]))
        .values("segment")
        .annotate(total=Sum(F("total_minor") - F("refunded_minor")))
        .order_by("-total")
    )
    scale = 10.0 ** minor_digits(currency)
    return [(segment_name(row["segment"]), round((row["total"] or 0) / scale, 2)) for row in totals]


@dataclass
class CohortTable:
    months: list[int]
    rows: list[dict[str, Any]]  # {"cohort": "2025-03", "customers": n, "cells": [% or None]}


COHORT_MONTHS = 12
COHORTS_SHOWN = 18


def cohort_table(*, user: User) -> CohortTable:
    """Monthly cohorts of first purchase (the latest COHORTS_SHOWN) and the % of each who bought
    again 1..COHORT_MONTHS months later (engine.kpis.cohort_retention), visible customers only."""
    key = _scope_key(user, "cohorts")
    table: CohortTable = _cached(key, lambda: _cohorts_compute(user))
    return table


def _cohorts_compute(user: User) -> CohortTable:
    import polars as pl

    from kith.insights import jobs
    from kith.insights.engine import kpis

    transactions = jobs.orders_frame(currency=_currency(), contacts_sql=_contacts_sql(user))
    retention = kpis.cohort_retention(transactions.select("customer_id", "at", "amount"))
    months = list(range(1, COHORT_MONTHS + 1))
    if retention.height == 0:
        return CohortTable(months=months, rows=[])
    sizes = dict(
        retention.filter(pl.col("months_since") == 0).select("cohort", "customers").iter_rows()
    )
    cells: dict[Any, dict[int, int]] = {}
    for cohort, since, share in (
        retention.filter(pl.col("months_since").is_between(1, COHORT_MONTHS))
        .select("cohort", "months_since", "retention")
        .iter_rows()
    ):
        cells.setdefault(cohort, {})[since] = round(share * 100)
    cohorts = sorted(sizes)[-COHORTS_SHOWN:]
    rows = [
        {
            "cohort": f"{cohort:%Y-%m}",
            "customers": sizes[cohort],
            "cells": [cells.get(cohort, {}).get(m) for m in months],
        }
        for cohort in cohorts
    ]
    return CohortTable(months=months, rows=rows)
