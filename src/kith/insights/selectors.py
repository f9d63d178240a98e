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

import numpy as np
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.pagination import Ordering, Page, paginate
from kith.customers import selectors as customer_selectors
from kith.customers.models import Contact
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.insights.models import CustomerScore, ScoringRun
from kith.insights.vocabulary import SEGMENT_NAMES, segment_name

__all__ = [
    "ClvHistogram",
    "SegmentRow",
    "SegmentSummary",
    "churn_risk_list",
    "clv_histogram",
    "contact_score",
    "contacts_by_score",
    "run_latest",
    "scores_visible",
    "segment_summary",
]

CHURN_RISK = Ordering("churn_risk", descending=True)
MAX_PAGE = 200
HISTOGRAM_BINS = 20


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


def contact_score(*, user: User, contact_id: int) -> CustomerScore | None:
    """The scores of one contact (NotFound if the contact is not visible; None if not scored)."""
    customer_selectors.contact_get(user=user, contact_id=contact_id)
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
    # (from code, to code, customers) for every move, biggest first; "" is "no purchases".
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
        scores.exclude(segment=F("previous_segment"))
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
    sql, params = _visible_contacts(user).values("pk").query.sql_with_params()
    run = run_latest()
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
