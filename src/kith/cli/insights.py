"""`kith insights rfm|clv|churn`: the analytics engine over a CSV file, no database needed.

Thin: read the file (kith.insights.engine.reading), call the engine, print a table or JSON.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)

insights_app = typer.Typer(
    name="insights",
    help="Customer analytics (RFM, CLV, churn) over a transactions CSV file.",
    no_args_is_help=True,
)

TransactionsOpt = Annotated[
    Path, typer.Option("--transactions", help="CSV file, one row per purchase.")
]
CustomerCol = Annotated[
    str, typer.Option("--customer-col", help="Column identifying the customer.")
]
DateCol = Annotated[str, typer.Option("--date-col", help="Column with the purchase date.")]
AmountCol = Annotated[str, typer.Option("--amount-col", help="Column with the amount spent.")]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Date to score at (YYYY-MM-DD); default: the last purchase day."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Limit = Annotated[int, typer.Option(help="Rows shown in the table (JSON has all).")]


def _load(path: Path, customer_col: str, date_col: str, amount_col: str, as_of: str | None):
    from kith.insights.engine.reading import transactions_read_csv

    try:
        data = transactions_read_csv(
            path, customer_col=customer_col, date_col=date_col, amount_col=amount_col
        )
        day = date.fromisoformat(as_of) if as_of else data.transactions["at"].max()
    except FileNotFoundError as exc:
        err.print(f"{path}: no such file", style="red", markup=False)
        raise typer.Exit(2) from exc
    except ValueError as exc:
        err.print(str(exc), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    if day is None:
        err.print(f"{path.name}: no transactions", style="red", markup=False)
        raise typer.Exit(2)
    return data, day


def _with_labels(frame: Any, labels: Any) -> Any:
    """Put the file's own customer ids back in place of the engine's numbers."""
    return (
        frame.join(labels, on="customer_id", how="left")
        .drop("customer_id")
        .rename({"customer": "customer_id"})
        .select("customer_id", *[c for c in frame.columns if c != "customer_id"])
    )


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _print_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(_clean(payload), ensure_ascii=False) + "\n")


def _console() -> Console:
    """stdout; wide when piped, so a table in a file or a pager is not cut to 80 columns."""
    return Console(width=None if sys.stdout.isatty() else 200)


def _table(title: str, frame: Any, limit: int) -> Table:
    import polars as pl

    table = Table(title=title)
    for column in frame.columns:
        text = frame[column].dtype in (pl.String, pl.Categorical)
        table.add_column(column, justify="left" if text else "right")
    for row in frame.head(limit).iter_rows():
        table.add_row(*(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row))
    return table


@insights_app.command()
def rfm(
    transactions: TransactionsOpt,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    as_of: AsOf = None,
    as_json: AsJson = False,
    limit: Limit = 50,
) -> None:
    """Recency, frequency and monetary scores (1-5) and the segment of every customer."""
    from kith.insights.engine.rfm import SEGMENT_LABELS, rfm_score, segment_summary

    data, day = _load(transactions, customer_col, date_col, amount_col, as_of)
    scores = rfm_score(data.transactions, as_of=day)
    summary = segment_summary(scores)
    shown = _with_labels(scores, data.customer_labels)
    if as_json:
        _print_json({"as_of": day, "customers": shown.to_dicts(), "segments": summary.to_dicts()})
        return
    out = _console()
    out.print(f"RFM at {day}: {scores.height} customers")
    out.print(_table("Customers", shown.sort("monetary", descending=True), limit))
    labelled = summary.with_columns(summary["segment"].replace_strict(SEGMENT_LABELS))
    out.print(_table("Segments", labelled, len(SEGMENT_LABELS)))


@insights_app.command()
def clv(
    transactions: TransactionsOpt,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    as_of: AsOf = None,
    horizon_days: Annotated[int, typer.Option(help="Days of future value.")] = 365,
    discount_rate: Annotated[float, typer.Option(help="Annual discount rate.")] = 0.1,
    as_json: AsJson = False,
    limit: Limit = 50,
) -> None:
    """BG/NBD + Gamma-Gamma customer lifetime value (time in days since each customer's first
    purchase)."""
    from kith.insights.engine.clv import bgnbd_fit, clv_score, gamma_gamma_fit, rfm_summary

    data, day = _load(transactions, customer_col, date_col, amount_col, as_of)
    summary = rfm_summary(data.transactions, as_of=day)
    try:
        bgnbd = bgnbd_fit(summary["frequency"], summary["recency"], summary["T"])
        gamma_gamma = gamma_gamma_fit(summary["frequency"], summary["monetary_value"])
    except ValueError as exc:
        err.print(str(exc), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    scores = summary.join(
        clv_score(
            summary,
            bgnbd=bgnbd,
            gamma_gamma=gamma_gamma,
            horizon_days=horizon_days,
            annual_discount_rate=discount_rate,
        ),
        on="customer_id",
    )
    shown = _with_labels(scores, data.customer_labels)
    if as_json:
        _print_json(
            {
                "bgnbd": {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b},
                "gamma_gamma": {"p": gamma_gamma.p, "q": gamma_gamma.q, "v": gamma_gamma.v},
                "customers": shown.to_dicts(),
            }
        )
        return
    out = _console()
    out.print(
        f"CLV at {day} over {horizon_days} days, {summary.height} customers. "
        f"BG/NBD r={bgnbd.r:.4f} alpha={bgnbd.alpha:.4f} a={bgnbd.a:.4f} b={bgnbd.b:.4f} "
        f"(LL {bgnbd.log_likelihood:.1f}); Gamma-Gamma p={gamma_gamma.p:.4f} "
        f"q={gamma_gamma.q:.4f} v={gamma_gamma.v:.4f} on {gamma_gamma.customers} repeat buyers"
    )
    out.print(_table("Customers by CLV", shown.sort("clv", descending=True), limit))


@insights_app.command()
def churn(
    transactions: TransactionsOpt,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Score at this date (YYYY-MM-DD); default: the day after the last."
        ),
    ] = None,
    horizon_days: Annotated[int, typer.Option(help="Days without a purchase = churned.")] = 90,
    as_json: AsJson = False,
    limit: Limit = 50,
) -> None:
    """Train the churn model on the file's own history (two windows before --as-of) and print
    its held-out record and every customer's risk with its top drivers."""
    import polars as pl

    from kith.insights.engine.churn import churn_score, churn_train, features_as_of

    data, last = _load(transactions, customer_col, date_col, amount_col, as_of)
    day = last if as_of else last + timedelta(days=1)
    tx = data.transactions
    customers = tx.group_by("customer_id").agg(pl.col("at").min().alias("created_at"))
    try:
        model = churn_train(
            transactions=tx, customers=customers, as_of=day, horizon_days=horizon_days
        )
    except ValueError as exc:
        err.print(str(exc), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    scores = churn_score(model, features_as_of(transactions=tx, customers=customers, as_of=day))
    shown = _with_labels(scores, data.customer_labels)
    metrics = {
        "as_of": day,
        "horizon_days": horizon_days,
        "train_cutoff": model.train_cutoff,
        "test_cutoff": model.test_cutoff,
        "kind": model.kind,
        "auc": model.auc,
        "boosted_auc": model.boosted_auc,
        "baseline_auc": model.baseline_auc,
        "fallback": model.fallback,
        "brier": model.brier,
        "base_rate": model.base_rate,
        "trained_on": model.trained_on,
        "tested_on": model.tested_on,
        "calibration": [
            {"predicted": p, "observed": o, "customers": n} for p, o, n in model.calibration
        ],
    }
    if as_json:
        _print_json({"model": metrics, "customers": shown.to_dicts()})
        return
    out = _console()
    out.print(
        f"Churn in the {horizon_days} days after {day}: model AUC {model.auc:.3f} vs "
        f"{model.baseline_auc:.3f} for days-since-last-purchase alone, Brier {model.brier:.3f}; "
        f"trained on {model.trained_on} customers at {model.train_cutoff}, tested on "
        f"{model.tested_on} at {model.test_cutoff}"
    )
    if model.fallback:
        out.print(model.fallback, style="yellow", markup=False)
    table = shown.sort("churn_risk", descending=True).with_columns(
        pl.col("drivers")
        .list.eval(pl.element().struct.field("feature"))
        .list.join(", ")
        .alias("drivers")
    )
    out.print(_table("Customers by churn risk", table, limit))


def register(app: typer.Typer) -> None:
    """Add `kith insights …` to the `kith` app."""
    app.add_typer(insights_app)
