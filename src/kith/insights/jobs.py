"""The scoring job: read the database into Polars frames in bulk, run the engine, write back.

`scoring_run` scores every contact in one transaction (a failed run writes no score, and its
ScoringRun row says why). The reads are plain SQL fetched in chunks, never ORM objects: dates
come back as 'YYYY-MM-DD' text (UTC days) and are parsed by Polars, which keeps 10M order lines
to a few seconds. Money is turned into major units of the run's currency: the currency most
orders are in (orders in other currencies are counted in metrics["orders_skipped"]).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from kith.core.doors import score_thresholds
from kith.core.events import event_record
from kith.customers.models import Contact
from kith.engagement.models import Interaction
from kith.insights.currency import reporting_currency
from kith.insights.engine import churn, clv, recommend, rfm
from kith.insights.models import CustomerScore, ScoringRun
from kith.insights.signals import signals_frame
from kith.sales.models import Deal, DealContact, ExchangeRate, Order, OrderLine, Product
from kith.sales.money import minor_digits
from kith.service.models import Ticket

Progress = Callable[[str, int, int], None]

FETCH_CHUNK = 100_000
WRITE_BATCH = 5_000
CHURN_HORIZON_DAYS = 90
HOLDOUT_DAYS = 365
RECOMMENDATIONS = 5
CATEGORIES_KEPT = 3
CATEGORY_CANDIDATES = 5
# Below these, a model is not fitted (its scores stay null and metrics say why).
MIN_BUYERS_CLV = 20
MIN_BUYERS_CHURN = 30

_BUYER_ONLY = (
    "expected_purchases_90",
    "expected_purchases_365",
    "p_alive",
    "expected_spend",
    "clv",
    "churn_risk",
    "drivers",
)
STAGES = ("read", "rfm", "clv", "churn", "recommend", "write")

# --- reading --------------------------------------------------------------------------------


def _day(column: str) -> str:
    """SQL for a timestamp column's UTC day as 'YYYY-MM-DD' text, on either database."""
    if connection.vendor == "sqlite":
        return f"substr({column}, 1, 10)"
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def _date_text(column: str) -> str:
    """SQL for a date column as 'YYYY-MM-DD' text (the SQLite driver would parse it per row)."""
    if connection.vendor == "sqlite":
        return f"CAST({column} AS TEXT)"
    return f"to_char({column}, 'YYYY-MM-DD')"


def _fetch(sql: str, params: Sequence[Any], schema: Mapping[str, Any]) -> pl.DataFrame:
    """Rows of `sql` as a frame, fetched FETCH_CHUNK at a time; columns named `*_day` are
    parsed from text to Date."""
    frames: list[pl.DataFrame] = []
    raw_schema = {
        name: (pl.String if name.endswith("_day") else kind) for name, kind in schema.items()
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while rows := cursor.fetchmany(FETCH_CHUNK):
            frames.append(pl.DataFrame(rows, schema=raw_schema, orient="row"))
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=raw_schema)
    dates = [pl.col(n).str.to_date("%Y-%m-%d") for n in schema if n.endswith("_day")]
    return frame.with_columns(dates) if dates else frame


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _within(column: str, contacts_sql: tuple[str, Sequence[Any]] | None) -> tuple[str, list[Any]]:
    """A WHERE clause limiting `column` to a contact-id subquery (None: every contact)."""
    if contacts_sql is None:
        return "", []
    sql, params = contacts_sql
    return f" AND {column} IN ({sql})", list(params)


def _rates_frame(currency: str, into: str) -> pl.DataFrame:
    """day, rate: what one `currency` is worth in `into` from each day on (the admins' rates;
    the inverse of the reverse pair's when the pair has none)."""
    rows = list(
        ExchangeRate.objects.filter(currency=currency, base=into)
        .order_by("day")
        .values_list("day", "rate")
    )
    if not rows:
        rows = [
            (day, 1 / rate)
            for day, rate in ExchangeRate.objects.filter(currency=into, base=currency)
            .order_by("day")
            .values_list("day", "rate")
            if rate
        ]
    return pl.DataFrame(
        [(day, float(rate)) for day, rate in rows],
        schema={"day": pl.Date, "rate": pl.Float64},
        orient="row",
    )


def _in_currency(frame: pl.DataFrame, into: str) -> pl.DataFrame:
    """`frame` (currency, at_day, minor) with `amount` in major units of `into`: other
    currencies at the rate of each row's day; rows before any rate of their currency are
    dropped (never summed as if they were `into`)."""
    parts = []
    for currency in frame["currency"].unique().to_list():
        part = frame.filter(pl.col("currency") == currency)
        scale = 10.0 ** minor_digits(currency)
        if currency == into:
            parts.append(part.with_columns(amount=pl.col("minor").cast(pl.Float64) / scale))
            continue
        rates = _rates_frame(currency, into)
        if not rates.height:
            continue
        joined = part.sort("at_day").join_asof(
            rates, left_on="at_day", right_on="day", strategy="backward"
        )
        parts.append(
            joined.filter(pl.col("rate").is_not_null())
            .with_columns(amount=pl.col("minor").cast(pl.Float64) / scale * pl.col("rate"))
            .drop("day", "rate")
        )
    if not parts:
        return frame.with_columns(amount=pl.lit(0.0)).head(0)
    return pl.concat(parts)


def orders_frame(
    *, currency: str, contacts_sql: tuple[str, Sequence[Any]] | None = None
) -> pl.DataFrame:
    """Counted orders in the reporting `currency` (orders in others converted at the rate of
    their day, those without a rate left out): customer_id, at (Date), amount (major units,
    less what was refunded), order_id."""
    where, params = _within("contact_id", contacts_sql)
    statuses = ", ".join(["%s"] * len(Order.COUNTED))
    frame = _fetch(
        f"SELECT id, contact_id, {_day('ordered_at')}, total_minor - refunded_minor,"  # noqa: S608
        f" currency FROM {_table(Order)}"
        f" WHERE status IN ({statuses}){where}",
        [*Order.COUNTED, *params],
        {"order_id": pl.Int64, "customer_id": pl.Int64, "at_day": pl.Date, "minor": pl.Int64,
         "currency": pl.String},
    )  # fmt: skip
    return _in_currency(frame, currency).select(
        "customer_id", pl.col("at_day").alias("at"), "amount", "order_id"
    )


def lines_frame(
    *, currency: str, contacts_sql: tuple[str, Sequence[Any]] | None = None
) -> pl.DataFrame:
    """Lines of counted orders: customer_id, product_id, at, category, amount (major units of
    the reporting `currency`, converted as in orders_frame)."""
    where, params = _within("o.contact_id", contacts_sql)
    statuses = ", ".join(["%s"] * len(Order.COUNTED))
    frame = _fetch(
        f"SELECT o.contact_id, l.product_id, {_day('o.ordered_at')},"  # noqa: S608
        f" l.quantity * l.unit_price_minor, o.currency FROM {_table(OrderLine)} l"
        f" JOIN {_table(Order)} o ON o.id = l.order_id"
        f" WHERE o.status IN ({statuses}){where}",
        [*Order.COUNTED, *params],
        {"customer_id": pl.Int64, "product_id": pl.Int64, "at_day": pl.Date, "minor": pl.Int64,
         "currency": pl.String},
    )  # fmt: skip
    frame = _in_currency(frame, currency)
    products = products_frame()
    return frame.join(
        products.select("product_id", "category"), on="product_id", how="left"
    ).select(
        "customer_id",
        "product_id",
        pl.col("at_day").alias("at"),
        pl.col("category").fill_null(""),
        "amount",
    )


def products_frame() -> pl.DataFrame:
    """product_id, name, category of every product (a small table)."""
    rows = list(Product.objects.values_list("id", "name", "category"))
    return pl.DataFrame(
        rows,
        schema={"product_id": pl.Int64, "name": pl.String, "category": pl.String},
        orient="row",
    )


def customers_frame(*, contacts_sql: tuple[str, Sequence[Any]] | None = None) -> pl.DataFrame:
    """customer_id, created_at (Date) of every contact."""
    where, params = _within("id", contacts_sql)
    frame = _fetch(
        f"SELECT id, {_day('created_at')} FROM {_table(Contact)} WHERE 1 = 1{where}",  # noqa: S608
        params,
        {"customer_id": pl.Int64, "created_day": pl.Date},
    )
    return frame.rename({"created_day": "created_at"})


def tickets_frame(*, contacts_sql: tuple[str, Sequence[Any]] | None = None) -> pl.DataFrame:
    """customer_id, opened_at (Date), breached (an SLA target was missed), csat (1-5 or null)."""
    where, params = _within("contact_id", contacts_sql)
    frame = _fetch(
        f"SELECT contact_id, {_day('created_at')},"  # noqa: S608
        " CASE WHEN first_response_breached_at IS NOT NULL"
        " OR resolution_breached_at IS NOT NULL THEN 1 ELSE 0 END, csat_score"
        f" FROM {_table(Ticket)} WHERE contact_id IS NOT NULL{where}",
        params,
        {"customer_id": pl.Int64, "opened_day": pl.Date, "breached": pl.Int8, "csat": pl.Int64},
    )
    return frame.select(
        "customer_id",
        pl.col("opened_day").alias("opened_at"),
        pl.col("breached").cast(pl.Boolean),
        "csat",
    )


def interactions_frame(*, contacts_sql: tuple[str, Sequence[Any]] | None = None) -> pl.DataFrame:
    """customer_id, at (Date) of every interaction with a contact."""
    where, params = _within("contact_id", contacts_sql)
    frame = _fetch(
        f"SELECT contact_id, {_day('occurred_at')} FROM {_table(Interaction)}"  # noqa: S608
        f" WHERE contact_id IS NOT NULL{where}",
        params,
        {"customer_id": pl.Int64, "at_day": pl.Date},
    )
    return frame.rename({"at_day": "at"})


def deals_frame(*, contacts_sql: tuple[str, Sequence[Any]] | None = None) -> pl.DataFrame:
    """customer_id, at (Date: closed, else created), status (open|won|lost), one row per deal
    contact, plus created_at and closed_at for the sales-cycle KPIs."""
    where, params = _within("dc.contact_id", contacts_sql)
    frame = _fetch(
        f"SELECT dc.contact_id, d.id, {_day('d.created_at')}, {_day('d.closed_at')}, d.outcome,"  # noqa: S608
        " d.amount_minor"
        f" FROM {_table(DealContact)} dc JOIN {_table(Deal)} d ON d.id = dc.deal_id"
        f" WHERE 1 = 1{where}",
        params,
        {
            "customer_id": pl.Int64,
            "deal_id": pl.Int64,
            "created_day": pl.Date,
            "closed_day": pl.Date,
            "status": pl.String,
            "amount_minor": pl.Int64,
        },
    )
    return frame.select(
        "customer_id",
        pl.coalesce("closed_day", "created_day").alias("at"),
        "status",
        "deal_id",
        pl.col("created_day").alias("created_at"),
        pl.col("closed_day").alias("closed_at"),
        "amount_minor",
    )


def previous_scores_frame() -> pl.DataFrame:
    """customer_id, segment, previous_segment, run_as_of of the scores written before."""
    run = _table(ScoringRun)
    score = _table(CustomerScore)
    return _fetch(
        f"SELECT s.contact_id, s.segment, s.previous_segment, {_date_text('r.as_of')} FROM {score} s"  # noqa: S608
        f" LEFT JOIN {run} r ON r.id = s.run_id",
        [],
        {
            "customer_id": pl.Int64,
            "segment": pl.String,
            "previous_segment": pl.String,
            "run_as_of_day": pl.Date,
        },
    )


# --- scoring --------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Engine results (dataclasses, NumPy numbers, frames) as plain JSON values."""
    if isinstance(value, pl.DataFrame):
        return [_jsonable(row) for row in value.to_dicts()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@dataclasses.dataclass
class ScoringFrames:
    currency: str
    transactions: pl.DataFrame
    lines: pl.DataFrame
    customers: pl.DataFrame
    tickets: pl.DataFrame
    interactions: pl.DataFrame
    deals: pl.DataFrame
    products: pl.DataFrame
    previous: pl.DataFrame
    # loyalty and feedback (kith.insights.signals); empty: the churn model goes without
    signals: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)


def scoring_frames_read() -> ScoringFrames:
    """Everything the models need, read from the database in bulk."""
    currency = reporting_currency()
    # Sorted, so the models see the same rows in the same order whatever order the database
    # returns them in (PostgreSQL's changes after updates): a re-run gives the same scores.
    return ScoringFrames(
        currency=currency,
        transactions=orders_frame(currency=currency).sort("customer_id", "at", "order_id"),
        lines=lines_frame(currency=currency).sort("customer_id", "at", "product_id", "amount"),
        customers=customers_frame().sort("customer_id"),
        tickets=tickets_frame().sort("customer_id", "opened_at", "csat", nulls_last=True),
        interactions=interactions_frame().sort("customer_id", "at"),
        deals=deals_frame()
        .select("customer_id", "at", "status")
        .sort("customer_id", "at", "status"),
        products=products_frame().sort("product_id"),
        previous=previous_scores_frame(),
        signals=signals_frame(),
    )


def _attempt(name: str, metrics: dict[str, Any], fit: Callable[[], Any]) -> Any:
    """Run one model's fit; a ValueError (the engine's "not enough data" answer: no buyers
    before a window, one class only) skips the model, its reason kept in metrics[name]."""
    try:
        return fit()
    except ValueError as exc:
        metrics[name] = {"skipped": str(exc)}
        return None


def _rfm(frames: ScoringFrames, as_of: dt.date) -> pl.DataFrame:
    scores = rfm.rfm_score(frames.transactions.select("customer_id", "at", "amount"), as_of=as_of)
    # The segment before this one: the stored one, unless it was written for this same day
    # (a re-run), which keeps the segment it had come from.
    previous = frames.previous.select(
        "customer_id",
        pl.when(pl.col("run_as_of_day") == as_of)
        .then(pl.col("previous_segment"))
        .otherwise(pl.col("segment"))
        .fill_null("")
        .alias("previous_segment"),
    )
    return scores.join(previous, on="customer_id", how="left")


def _clv(frames: ScoringFrames, as_of: dt.date, metrics: dict[str, Any]) -> pl.DataFrame | None:
    transactions = frames.transactions.select("customer_id", "at", "amount")
    summary = clv.rfm_summary(transactions, as_of=as_of)
    if summary.height < MIN_BUYERS_CLV or summary.filter(pl.col("frequency") > 0).height < 2:
        metrics["clv"] = {"skipped": f"{summary.height} buyers (needs {MIN_BUYERS_CLV})"}
        return None
    bgnbd = clv.bgnbd_fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary.filter(pl.col("frequency") > 0)
    gamma_gamma = clv.gamma_gamma_fit(repeat["frequency"], repeat["monetary_value"])
    scores = clv.clv_score(summary, bgnbd=bgnbd, gamma_gamma=gamma_gamma)
    metrics["bgnbd"] = _jsonable(bgnbd)
    metrics["gamma_gamma"] = _jsonable(gamma_gamma)
    if gamma_gamma.q <= 1:
        # The population's mean spend (v p / (q - 1)) is not finite: spend and value are
        # meaningless (they come out negative), so only the purchase forecasts are kept.
        scores = scores.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("expected_spend"),
            pl.lit(None, dtype=pl.Float64).alias("clv"),
        )
        metrics["clv"] = {
            "skipped": f"Gamma-Gamma q = {gamma_gamma.q:.3f} <= 1 (too few repeat buyers)"
        }
    first = frames.transactions["at"].min()
    calibration_end = as_of - dt.timedelta(days=HOLDOUT_DAYS)
    if isinstance(first, dt.date) and first < calibration_end - dt.timedelta(days=HOLDOUT_DAYS):
        holdout = _attempt(
            "clv_holdout",
            metrics,
            lambda: clv.clv_holdout(
                transactions, calibration_end=calibration_end, holdout_end=as_of
            ),
        )
        if holdout is not None:
            metrics["clv_holdout"] = _jsonable(holdout)
    else:
        metrics["clv_holdout"] = {"skipped": "less than two years of orders"}
    return scores


def _churn_sources(frames: ScoringFrames, as_of: dt.date) -> dict[str, pl.DataFrame | None]:
    """Tickets, interactions and deals for the churn model, each left out (None) when it has no
    event before the training window: its features would be empty there (a service desk that
    started last month teaches nothing about churn) and the model cannot fit an empty column.
    Tickets also need a CSAT answer before then (their mean CSAT feature)."""
    train_cutoff = as_of - dt.timedelta(days=2 * CHURN_HORIZON_DAYS)
    tickets = frames.tickets.filter(pl.col("opened_at") < train_cutoff)
    usable = {
        "tickets": tickets.height > 0 and tickets["csat"].drop_nulls().len() > 0,
        "interactions": frames.interactions.filter(pl.col("at") < train_cutoff).height > 0,
        "deals": frames.deals.filter(pl.col("at") < train_cutoff).height > 0,
        "signals": "at" in frames.signals.columns
        and frames.signals.filter(pl.col("at") < train_cutoff).height > 0,
    }
    return {
        "tickets": frames.tickets if usable["tickets"] else None,
        "interactions": frames.interactions if usable["interactions"] else None,
        "deals": frames.deals if usable["deals"] else None,
        "signals": frames.signals if usable["signals"] else None,
    }


def _churn(
    frames: ScoringFrames, as_of: dt.date, buyers: int, metrics: dict[str, Any]
) -> pl.DataFrame | None:
    if buyers < MIN_BUYERS_CHURN:
        metrics["churn"] = {"skipped": f"{buyers} buyers (needs {MIN_BUYERS_CHURN})"}
        return None
    transactions = frames.transactions.select("customer_id", "at", "amount")
    sources = _churn_sources(frames, as_of)
    model = _attempt(
        "churn",
        metrics,
        lambda: churn.churn_train(
            transactions=transactions,
            customers=frames.customers,
            tickets=sources["tickets"],
            interactions=sources["interactions"],
            deals=sources["deals"],
            signals=sources["signals"],
            as_of=as_of,
            horizon_days=CHURN_HORIZON_DAYS,
        ),
    )
    if model is None:
        return None
    metrics["churn"] = {
        f.name: _jsonable(getattr(model, f.name))
        for f in dataclasses.fields(model)
        if f.name != "model"
    }
    metrics["churn"]["sources"] = sorted(
        name for name, frame in sources.items() if frame is not None
    )
    if sources["signals"] is not None:
        # What loyalty and feedback add: the boosted model's held-out AUC without them.
        without = _attempt(
            "churn_without_signals",
            metrics,
            lambda: churn.churn_train(
                transactions=transactions, customers=frames.customers,
                tickets=sources["tickets"], interactions=sources["interactions"],
                deals=sources["deals"], as_of=as_of, horizon_days=CHURN_HORIZON_DAYS,
                refit=False,
            ),
        )  # fmt: skip
        if without is not None:
            metrics["churn"]["boosted_auc_without_signals"] = _jsonable(without.boosted_auc)
    features = churn.features_as_of(
        transactions=transactions,
        customers=frames.customers,
        tickets=sources["tickets"],
        interactions=sources["interactions"],
        deals=sources["deals"],
        signals=sources["signals"],
        as_of=as_of,
    )
    return churn.churn_score(model, features)


def _recommend(
    frames: ScoringFrames, as_of: dt.date, metrics: dict[str, Any]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    lines = frames.lines.filter(pl.col("at") <= as_of)
    names = frames.products.select("product_id", "name")
    picks = recommend.recommend_products(lines, k=RECOMMENDATIONS)
    recommendations = (
        picks.join(names, on="product_id", how="left")
        .sort("customer_id", "rank")
        .group_by("customer_id", maintain_order=True)
        .agg(
            pl.struct("product_id", pl.col("name").fill_null(""), pl.col("score").round(4)).alias(
                "recommendations"
            )
        )
    )
    chances = _attempt(
        "category_propensity",
        metrics,
        # A customer's own categories and the most popular ones: scoring every customer against
        # every category is most of this stage's time at 1M customers, and only the top few are kept.
        lambda: recommend.category_propensity(
            lines, as_of=as_of, candidates=CATEGORY_CANDIDATES, top=CATEGORIES_KEPT
        ),
    )
    if chances is None:
        chances = pl.DataFrame(
            schema={"customer_id": pl.Int64, "category": pl.String, "probability": pl.Float64}
        )
    propensity = (
        chances.sort(["customer_id", "probability"], descending=[False, True])
        .group_by("customer_id", maintain_order=True)
        .head(CATEGORIES_KEPT)
        .group_by("customer_id", maintain_order=True)
        .agg(pl.struct("category", pl.col("probability").round(4)).alias("category_propensity"))
    )
    if lines.height:
        split = as_of - dt.timedelta(days=CHURN_HORIZON_DAYS)
        hit_rate = _attempt(
            "hit_rate",
            metrics,
            lambda: recommend.hit_rate_at_k(lines, split_date=split, k=RECOMMENDATIONS),
        )
        metrics["hit_rate_at_5"] = _jsonable(hit_rate)
    return recommendations, propensity


def _scores_table(
    frames: ScoringFrames,
    rfm_scores: pl.DataFrame,
    clv_scores: pl.DataFrame | None,
    churn_scores: pl.DataFrame | None,
    recommendations: pl.DataFrame,
    propensity: pl.DataFrame,
) -> pl.DataFrame:
    """One row per contact: its scores, nulls where it has none (no purchase: no segment)."""
    table = frames.customers.select("customer_id").join(rfm_scores, on="customer_id", how="left")
    if clv_scores is not None:
        table = table.join(
            clv_scores.select(
                "customer_id",
                "expected_purchases_90",
                "expected_purchases_365",
                "p_alive",
                "expected_spend",
                "clv",
            ),
            on="customer_id",
            how="left",
        )
    if churn_scores is not None:
        table = table.join(
            churn_scores.select("customer_id", "churn_risk", "drivers"),
            on="customer_id",
            how="left",
        )
    table = table.join(recommendations, on="customer_id", how="left").join(
        propensity, on="customer_id", how="left"
    )
    # Scores only mean something for a customer who has bought: the rest keep nulls.
    bought = pl.col("segment").is_not_null()
    nulls = [
        pl.when(bought).then(pl.col(name)).otherwise(None).alias(name)
        for name in _BUYER_ONLY
        if name in table.columns
    ]
    return table.with_columns(nulls)


_INT_COLUMNS = ("recency_days", "frequency", "r_score", "f_score", "m_score")
_FLOAT_COLUMNS = (
    "monetary",
    "expected_purchases_90",
    "expected_purchases_365",
    "p_alive",
    "expected_spend",
    "clv",
    "churn_risk",
)
_JSON_COLUMNS = {
    "churn_drivers": "drivers",
    "recommendations": "recommendations",
    "category_propensity": "category_propensity",
}


def _json_list(column: str, table: pl.DataFrame) -> pl.Expr:
    """A list-of-structs column as JSON text, encoded by Polars (a null list as "[]")."""
    if column not in table.columns:
        return pl.lit("[]")
    return pl.concat_str(
        pl.lit("["),
        pl.col(column).list.eval(pl.element().struct.json_encode()).list.join(","),
        pl.lit("]"),
    ).fill_null("[]")


def _score_rows(table: pl.DataFrame, *, run_id: int, scored_at: Any) -> pl.DataFrame:
    """The score table in the order of CustomerScore's columns written, ready to go out as plain
    row tuples: NaN and infinite floats as null, no segment as "", JSON columns as JSON text
    (null lists as []). Built by Polars in one pass: a json.dumps per cell and a tuple built per
    row in Python cost most of the write at 1M contacts."""
    floats = [
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c)
        if c in table.columns
        else pl.lit(None, dtype=pl.Float64).alias(c)
        for c in _FLOAT_COLUMNS
    ]
    ints = [
        pl.col(c) if c in table.columns else pl.lit(None, dtype=pl.Int64).alias(c)
        for c in _INT_COLUMNS
    ]
    texts = [
        pl.col(c).fill_null("") if c in table.columns else pl.lit("").alias(c)
        for c in ("segment", "previous_segment")
    ]
    jsons = [_json_list(source, table).alias(column) for column, source in _JSON_COLUMNS.items()]
    return table.select(
        pl.col("customer_id").alias("contact_id"),
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        pl.lit(scored_at).alias("scored_at"),
        *ints,
        *floats,
        *texts,
        *jsons,
    )


def _scores_write(
    table: pl.DataFrame, run: ScoringRun, now: dt.datetime, progress: Progress | None
) -> int:
    """Insert or update every row of `table` (an upsert on the contact), WRITE_BATCH rows per
    executemany.

    Not bulk_create: on SQLite Django caps a statement at 999 parameters (47 score rows), and
    building a model instance per row cost more than the whole engine at 1M contacts; one
    prepared INSERT … ON CONFLICT DO UPDATE run over plain tuples is the same SQL on both
    databases (SQLite ≥ 3.24, PostgreSQL ≥ 9.5).
    """
    # The database's own form of the time (text on SQLite, an aware datetime on PostgreSQL).
    scored_at = CustomerScore._meta.get_field("scored_at").get_db_prep_save(now, connection)
    names = _score_rows(table.head(0), run_id=run.pk, scored_at=scored_at).columns
    json_cast = "" if connection.vendor == "sqlite" else "::jsonb"
    marks = ", ".join(f"%s{json_cast}" if n in _JSON_COLUMNS else "%s" for n in names)
    quote = connection.ops.quote_name
    updates = ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in names if n != "contact_id")
    sql = (
        f"INSERT INTO {_table(CustomerScore)} ({', '.join(quote(n) for n in names)})"  # noqa: S608
        f" VALUES ({marks}) ON CONFLICT ({quote('contact_id')}) DO UPDATE SET {updates}"
    )
    total = table.height
    written = 0
    with connection.cursor() as cursor:
        # Python values for one batch at a time: a million rows of them would take gigabytes.
        for start in range(0, total, WRITE_BATCH):
            rows = _score_rows(table.slice(start, WRITE_BATCH), run_id=run.pk, scored_at=scored_at)
            batch = rows.rows()
            cursor.executemany(sql, batch)
            written += len(batch)
            if progress is not None:
                progress("write", written, total)
    return written


def _score_values(watched: Mapping[str, set[float]]) -> dict[str, dict[int, float | None]]:
    """contact id -> value of each watched score, as stored now (nothing when none is watched)."""
    values: dict[str, dict[int, float | None]] = {}
    for score in watched:
        rows = CustomerScore.objects.values_list("contact_id", score)
        values[score] = dict(rows.iterator(chunk_size=5000))
    return values


def _crossings_record(
    watched: Mapping[str, set[float]],
    before: Mapping[str, Mapping[int, float | None]],
    run: ScoringRun,
) -> int:
    """Record `score.crossed` (old and new value, the threshold, up or down) for each contact
    whose watched score passed a watched threshold in this run; returns how many."""
    recorded = 0
    for score, thresholds in watched.items():
        old_values = before.get(score, {})
        rows = CustomerScore.objects.values_list("contact_id", score)
        for contact_id, new in rows.iterator(chunk_size=5000):
            old = old_values.get(contact_id)
            if new is None or old is None or old == new:
                continue  # a first score is no crossing
            for threshold in sorted(thresholds):
                up = old < threshold <= new
                if up or new < threshold <= old:
                    event_record(
                        name="score.crossed",
                        record=Contact(pk=contact_id),
                        payload={"score": score, "old": old, "new": new, "threshold": threshold,
                                 "direction": "up" if up else "down", "run_id": run.pk},
                    )  # fmt: skip
                    recorded += 1
    return recorded


def scoring_run(*, as_of: dt.date | None = None, progress: Progress | None = None) -> ScoringRun:
    """Score every contact (RFM, CLV, churn risk, recommendations) as of `as_of` (default today).

    All scores are written in one transaction: a failure writes none, marks the run failed with
    the error, and re-raises. `progress(stage, done, total)` reports each stage of STAGES.
    Re-running for the same day gives the same scores and keeps each contact's previous segment.
    """
    as_of = as_of or timezone.localdate()
    run = ScoringRun.objects.create(started_at=timezone.now(), as_of=as_of)
    metrics: dict[str, Any] = {}
    seconds: dict[str, float] = {}

    def stage(name: str, began: float) -> None:
        seconds[name] = round(time.monotonic() - began, 2)
        if progress is not None:
            progress(name, 1, 1)

    try:
        with transaction.atomic():
            began = time.monotonic()
            frames = scoring_frames_read()
            metrics.update(
                currency=frames.currency,
                orders=frames.transactions.height,
                order_lines=frames.lines.height,
                contacts=frames.customers.height,
            )
            stage("read", began)
            began = time.monotonic()
            rfm_scores = _rfm(frames, as_of)
            metrics["buyers"] = rfm_scores.height
            stage("rfm", began)
            began = time.monotonic()
            clv_scores = _clv(frames, as_of, metrics)
            stage("clv", began)
            began = time.monotonic()
            churn_scores = _churn(frames, as_of, rfm_scores.height, metrics)
            stage("churn", began)
            began = time.monotonic()
            recommendations, propensity = _recommend(frames, as_of, metrics)
            stage("recommend", began)
            began = time.monotonic()
            table = _scores_table(
                frames, rfm_scores, clv_scores, churn_scores, recommendations, propensity
            )
            del frames
            watched = score_thresholds()
            before = _score_values(watched)
            written = _scores_write(table, run, timezone.now(), progress)
            _crossings_record(watched, before, run)
            seconds["write"] = round(time.monotonic() - began, 2)
            metrics["seconds"] = seconds
            run.status = ScoringRun.Status.SUCCEEDED
            run.customers_scored = written
            run.metrics = _jsonable(metrics)
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "customers_scored", "metrics", "finished_at"])
    except Exception as exc:
        run.status = ScoringRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        metrics["seconds"] = seconds
        run.metrics = _jsonable(metrics)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "metrics", "finished_at"])
        raise
    return run
