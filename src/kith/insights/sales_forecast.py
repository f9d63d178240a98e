"""The probabilistic sales forecast of a month or quarter and its backtest, for one user.

Reads the deals the user may see (kith.sales), the stored win probabilities (the win job; a deal
without one counts with its own probability) and the base's close-date slips, and simulates the
period by Monte Carlo (kith.insights.engine.forecast_mc). In the reporting currency (the one
asked for, else kith.insights.jobs.reporting_currency: KITH_REPORTING_CURRENCY or the currency
of most orders — the same as the KPIs'): deals in other currencies are converted at the admins'
exchange rate of today (of the period's start in the backtest); a currency without a rate is
left out and named in `unconverted`. Quotas count in their own currency: those in another one
than the forecast's are not shown beside it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils import timezone

from kith.identity.access import visible_to
from kith.identity.models import Team, User
from kith.insights.currency import reporting_currency
from kith.insights.engine.forecast_mc import (
    Distribution,
    backtest_summary,
    cells_group,
    distribution_summary,
    in_period_probability,
    new_business_add,
    revenue_simulate,
)
from kith.insights.win_models import DealWinScore, WinModelRun
from kith.sales.models import Deal, DealStageChange, Pipeline, Quota
from kith.sales.money import minor_digits, money_format
from kith.sales.services.quotas import period_bounds, period_start_of
from kith.sales.services.rates import RateBook

SLIP_HISTORY = 2000  # the latest won deals whose close-date slip is learned from
DRAWS = 10_000
# Deals not yet created also close inside a period: their revenue is drawn from what the last
# NEW_BUSINESS_PERIODS complete periods won from deals created inside them.
NEW_BUSINESS_PERIODS = 6


@dataclass
class ForecastLine:
    kind: str  # "total", "rep", "team", "pipeline"
    key: int | None
    label: str
    distribution: Distribution
    weighted_minor: int  # the classic Σ amount × probability of deals expected in the period
    won_minor: int  # closed so far in the period
    open_deals: int
    quota_minor: int | None = None

    def as_dict(self, currency: str) -> dict[str, Any]:
        d = self.distribution
        return {
            "kind": self.kind,
            "id": self.key,
            "label": self.label,
            "p10_minor": int(d.p10),
            "p50_minor": int(d.p50),
            "p90_minor": int(d.p90),
            "mean_minor": int(d.mean),
            "weighted_minor": self.weighted_minor,
            "won_minor": self.won_minor,
            "open_deals": self.open_deals,
            "quota_minor": self.quota_minor,
            "p_quota": d.p_quota,
            "currency": currency,
        }

    def money(self, minor: float | int | None, currency: str) -> str:
        return "" if minor is None else money_format(int(minor), currency)


@dataclass
class ProbabilisticForecast:
    period: str
    start: date
    end: date
    currency: str
    draws: int
    lines: list[ForecastLine] = field(default_factory=list)
    model_kind: str = "deal_probabilities"  # or the win model's kind
    model_reason: str = ""
    histogram: list[tuple[float, int]] = field(default_factory=list)  # total: (edge, draws)
    unconverted: list[str] = field(default_factory=list)  # currencies without a rate

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "currency": self.currency,
            "draws": self.draws,
            "model": self.model_kind,
            "model_reason": self.model_reason,
            "unconverted_currencies": self.unconverted,
            "lines": [line.as_dict(self.currency) for line in self.lines],
        }


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _slips() -> list[int]:
    rows = (
        Deal.objects.filter(outcome="won", expected_close__isnull=False, closed_at__isnull=False)
        .order_by("-closed_at")
        .values_list("closed_at", "expected_close")[:SLIP_HISTORY]
    )
    return [(timezone.localtime(c).date() - e).days for c, e in rows]


def _periods_before(period: str, start: date, count: int) -> list[date]:
    """The starts of the `count` periods before the one starting at `start`, oldest first."""
    starts: list[date] = []
    cursor = start
    for _i in range(count):
        cursor = period_start_of(period, cursor - timedelta(days=1))
        starts.append(cursor)
    return starts[::-1]


CellKey = tuple[Any, Any, Any]  # (owner_id, team_id, pipeline_id)
CELL = ("owner_id", "team_id", "pipeline_id")


def _converted(
    rows: list[dict[str, Any]], *, key: str, rates: RateBook, into: str, missing: set[str]
) -> list[dict[str, Any]]:
    """The rows with row[key] in `into`; rows in a currency without a rate are dropped and
    their currency added to `missing`."""
    kept = []
    for row in rows:
        amount = rates.minor(int(row[key] or 0), row["currency"], into)
        if amount is None:
            missing.add(row["currency"])
        else:
            kept.append({**row, key: amount})
    return kept


def _new_business(
    deals: Any, period: str, starts: list[date], *, rates: RateBook, into: str, missing: set[str]
) -> dict[date, dict[CellKey, int]]:
    """Per period start (of `starts`): revenue won in the period from deals created in it, per
    (owner, team, pipeline), in `into` (currencies without a rate go to `missing`); one query
    (and one per currency pair converted)."""
    if not starts:
        return {}
    found: dict[date, dict[CellKey, int]] = {s: defaultdict(int) for s in starts}
    _first, last_end = period_bounds(period, max(starts))
    for row in deals.filter(
        outcome="won",
        closed_at__gte=_aware(min(starts)),
        closed_at__lt=_aware(last_end),
        created_at__gte=_aware(min(starts)),
    ).values(*CELL, "amount_minor", "currency", "created_at", "closed_at"):
        start = period_start_of(period, timezone.localtime(row["closed_at"]).date())
        if start in found and timezone.localtime(row["created_at"]).date() >= start:
            amount = rates.minor(int(row["amount_minor"]), row["currency"], into)
            if amount is None:
                missing.add(row["currency"])
                continue
            found[start][(row["owner_id"], row["team_id"], row["pipeline_id"])] += amount
    return found


def forecast_probabilistic(
    *,
    user: User,
    period: str = Quota.Period.QUARTER,
    day: date | None = None,
    currency: str | None = None,
    draws: int = DRAWS,
    seed: int = 0,
    today: date | None = None,
) -> ProbabilisticForecast:
    """P10/P50/P90 of the period's closed revenue (won so far + open deals by their win
    probability and chance to close by the period's end + deals not created yet, drawn from
    what recent periods won from deals created inside them, for the part of the period still
    to come) for the whole visible base, per rep, team and pipeline, with the weighted sum and
    the chance of reaching each quota."""
    today = today or timezone.localdate()
    start, end = period_bounds(period, period_start_of(period, day or today))
    deals = visible_to(Deal.objects.all(), user=user, module="deals")
    currency = currency or reporting_currency()
    rates = RateBook(min(today, end - timedelta(days=1)))
    missing: set[str] = set()
    score = DealWinScore.objects.filter(deal_id=OuterRef("pk")).values("probability")[:1]
    open_rows = list(
        deals.filter(outcome="open")
        .annotate(win=Subquery(score))
        .values(*CELL, "amount_minor", "currency", "probability", "expected_close", "win")
    )
    open_rows = _converted(
        open_rows, key="amount_minor", rates=rates, into=currency, missing=missing
    )
    won_rows = _converted(
        list(
            deals.filter(outcome="won", closed_at__gte=_aware(start), closed_at__lt=_aware(end))
            .values(*CELL, "currency")
            .annotate(total=Sum("amount_minor"), n=Count("id"))
            .order_by()
        ),
        key="total",
        rates=rates,
        into=currency,
        missing=missing,
    )
    run = WinModelRun.objects.order_by("-fitted_at").first()
    last_day = end - timedelta(days=1)
    q = in_period_probability(
        expected_close=[r["expected_close"] for r in open_rows],
        end=last_day,
        slips_days=_slips(),
        as_of=max(today, start),
    )
    cells: dict[tuple[Any, Any, Any], int] = {}

    def cell(r: dict[str, Any]) -> int:
        return cells.setdefault((r["owner_id"], r["team_id"], r["pipeline_id"]), len(cells))

    open_cells = np.array([cell(r) for r in open_rows], dtype=np.int64)
    won_cells = [(cell(r), r["total"] or 0) for r in won_rows]
    history_starts = _periods_before(period, start, NEW_BUSINESS_PERIODS)
    created_won = _new_business(
        deals, period, history_starts, rates=rates, into=currency, missing=missing
    )
    for past in created_won.values():
        for key in past:
            cells.setdefault(key, len(cells))
    closed = np.zeros(len(cells))
    for c, total in won_cells:
        closed[c] += total
    win = np.array(
        [r["win"] if r["win"] is not None else r["probability"] / 100 for r in open_rows],
        dtype=np.float64,
    )
    amounts = np.array([r["amount_minor"] for r in open_rows], dtype=np.float64)
    samples = revenue_simulate(
        amounts=amounts,
        probabilities=np.clip(win * q, 0, 1),
        cells=open_cells,
        n_cells=max(1, len(cells)),
        closed=closed if len(cells) else np.zeros(1),
        draws=draws,
        seed=seed,
    )
    if cells:
        history = np.zeros((len(history_starts), len(cells)))
        for i, past_start in enumerate(history_starts):
            for key, total in created_won[past_start].items():
                history[i, cells[key]] = total
        as_of = max(today, start)
        share = max(0.0, (end - as_of).days / (end - start).days)
        samples = new_business_add(samples, history, share=share, seed=seed + 1)
    in_period = np.array(
        [bool(r["expected_close"] and start <= r["expected_close"] < end) for r in open_rows]
    )
    stage_weighted = np.array([r["amount_minor"] * r["probability"] / 100 for r in open_rows])
    keys = list(cells)
    quotas = {
        (qt.owner_id, qt.team_id if qt.owner_id is None else None): qt.revenue_minor
        for qt in visible_to(Quota.objects.all(), user=user, module="quotas").filter(
            period=period, period_start=start, currency=currency
        )
    }
    names = _names(keys)
    forecast = ProbabilisticForecast(
        period=period,
        start=start,
        end=end,
        currency=currency,
        draws=draws,
        model_kind=run.kind if run else "deal_probabilities",
        model_reason=run.reason if run else "",
        unconverted=sorted(missing),
    )
    total_quota = sum(v for (o, t), v in quotas.items() if o is None) or None
    for kind, position in (("total", None), ("rep", 0), ("team", 1), ("pipeline", 2)):
        groups = [0 if position is None else k[position] for k in keys]
        distinct = sorted(set(groups), key=lambda g: (g is None, str(names[kind].get(g, ""))))
        index = {g: i for i, g in enumerate(distinct)}
        grouped = (
            cells_group(samples, [index[g] for g in groups], len(distinct)) if keys else (samples)
        )
        group_of_cell = np.array([index[g] for g in groups], dtype=np.int64)
        deal_group = group_of_cell[open_cells] if open_cells.size else open_cells
        for g, i in index.items():
            mask = deal_group == i
            quota = (
                total_quota
                if kind == "total"
                else quotas.get((g, None))
                if kind == "rep"
                else quotas.get((None, g))
                if kind == "team"
                else None
            )
            won_minor = int(sum(t for c, t in won_cells if group_of_cell[c] == i))
            forecast.lines.append(
                ForecastLine(
                    kind=kind,
                    key=g if kind != "total" else None,
                    label=names[kind].get(g, ""),
                    distribution=distribution_summary(
                        grouped[:, i], quota=float(quota) if quota is not None else None
                    ),
                    weighted_minor=won_minor
                    + int(stage_weighted[mask & in_period].sum() if mask.size else 0),
                    won_minor=won_minor,
                    open_deals=int(mask.sum()),
                    quota_minor=quota,
                )
            )
    if not keys:
        forecast.lines = [
            ForecastLine("total", None, "", distribution_summary(samples[:, 0]), 0, 0, 0)
        ]
    total = samples.sum(axis=1)
    counts, edges = np.histogram(total, bins=20)
    forecast.histogram = [(float(e), int(c)) for e, c in zip(edges[:-1], counts, strict=True)]
    return forecast


def _names(keys: list[tuple[Any, Any, Any]]) -> dict[str, dict[Any, str]]:
    owners = {k[0] for k in keys}
    teams = {k[1] for k in keys if k[1] is not None}
    pipelines = {k[2] for k in keys}
    return {
        "total": {0: "", None: ""},
        "rep": {u.pk: str(u) for u in User.objects.filter(pk__in=owners)},
        "team": {None: "", **{t.pk: t.name for t in Team.objects.filter(pk__in=teams)}},
        "pipeline": {p.pk: p.name for p in Pipeline.objects.filter(pk__in=pipelines)},
    }


@dataclass
class BacktestRow:
    start: date
    end: date
    actual_minor: int
    weighted_minor: int
    p10_minor: int
    p50_minor: int
    p90_minor: int
    open_deals: int


def forecast_backtest(
    *,
    user: User,
    period: str = Quota.Period.MONTH,
    periods: int = 6,
    currency: str | None = None,
    draws: int = 2000,
    today: date | None = None,
) -> tuple[list[BacktestRow], dict[str, Any]]:
    """For each of the last `periods` complete periods: what the weighted sum (open deals
    expected to close in it × their stage probability then) and the Monte Carlo (same
    probabilities × the chance to close by the end, from the slips) said at its start, and
    what was won in it. The stage at the start comes from the stage history; the expected close
    is the deal's present one (its history is not kept), so the backtest flatters both methods
    alike. The Monte Carlo adds the deals not yet created at the start (drawn from the
    NEW_BUSINESS_PERIODS periods before, what was won from deals created inside them); the
    weighted sum, as CRMs compute it, does not. Amounts in the reporting currency, converted at
    each period's start. Returns the rows, oldest first, and backtest_summary's figures."""
    today = today or timezone.localdate()
    deals = visible_to(Deal.objects.all(), user=user, module="deals")
    currency = currency or reporting_currency()
    missing: set[str] = set()
    slips = _slips()
    current = period_start_of(period, today)
    starts = _periods_before(period, current, periods + NEW_BUSINESS_PERIODS)
    created_won = _new_business(
        deals, period, starts, rates=RateBook(today), into=currency, missing=missing
    )
    rows = []
    for n, start in enumerate(starts[NEW_BUSINESS_PERIODS:], start=NEW_BUSINESS_PERIODS):
        _s, end = period_bounds(period, start)
        at = _aware(start)
        rates = RateBook(start)
        stage_then = (
            DealStageChange.objects.filter(deal_id=OuterRef("pk"), at__lt=at)
            .order_by("-at", "-id")
            .values("to_stage__probability")[:1]
        )
        open_then = list(
            deals.filter(created_at__lt=at)
            .exclude(closed_at__lt=at)
            .annotate(p_then=Subquery(stage_then))
            .values(
                "amount_minor", "currency", "expected_close", "probability", "p_then", "outcome"
            )
        )
        open_then = _converted(
            open_then, key="amount_minor", rates=rates, into=currency, missing=missing
        )
        open_then = [
            r
            for r in open_then
            if (r["p_then"] if r["p_then"] is not None else 1) < 100
            and (r["p_then"] is None or r["p_then"] > 0)
        ]
        won_by_currency = _converted(
            list(
                deals.filter(outcome="won", closed_at__gte=at, closed_at__lt=_aware(end))
                .values("currency")
                .annotate(total=Sum("amount_minor"))
                .order_by()
            ),
            key="total",
            rates=rates,
            into=currency,
            missing=missing,
        )
        actual = sum(r["total"] for r in won_by_currency)
        p = np.array(
            [
                (r["p_then"] if r["p_then"] is not None else r["probability"]) / 100
                for r in open_then
            ]
        )
        amounts = np.array([r["amount_minor"] for r in open_then], dtype=np.float64)
        expected = [r["expected_close"] for r in open_then]
        in_period = np.array([bool(e and start <= e < end) for e in expected])
        q = in_period_probability(
            expected_close=expected, end=end - timedelta(days=1), slips_days=slips, as_of=start
        )
        weighted = float((amounts * p)[in_period].sum()) if amounts.size else 0.0
        samples = revenue_simulate(
            amounts=amounts, probabilities=np.clip(p * q, 0, 1), draws=draws, seed=start.toordinal()
        )
        history = [[sum(created_won[s].values())] for s in starts[n - NEW_BUSINESS_PERIODS : n]]
        samples = new_business_add(samples, history, seed=start.toordinal())[:, 0]
        dist = distribution_summary(samples)
        rows.append(
            BacktestRow(
                start=start,
                end=end,
                actual_minor=int(actual),
                weighted_minor=int(weighted),
                p10_minor=int(dist.p10),
                p50_minor=int(dist.p50),
                p90_minor=int(dist.p90),
                open_deals=len(open_then),
            )
        )
    summary = backtest_summary(
        actual=[r.actual_minor for r in rows],
        weighted=[r.weighted_minor for r in rows],
        p10=[r.p10_minor for r in rows],
        p50=[r.p50_minor for r in rows],
        p90=[r.p90_minor for r in rows],
    )
    summary["currency"] = currency
    summary["unconverted_currencies"] = sorted(missing)
    summary["digits"] = minor_digits(currency)
    return rows, summary
