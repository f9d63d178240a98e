"""`kith score`: score every contact now (RFM, lifetime value, churn risk, recommendations).

The worker does the same every night at 02:00 UTC (schedule "insights.score_nightly").
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

out = Console()
err = Console(stderr=True)

STAGE_LABELS = {
    "read": gettext_lazy("Reading the database"),
    "rfm": gettext_lazy("RFM segments"),
    "clv": gettext_lazy("Lifetime value (BG/NBD, Gamma-Gamma)"),
    "churn": gettext_lazy("Churn risk"),
    "recommend": gettext_lazy("Recommendations and propensity"),
    "write": gettext_lazy("Writing scores"),
}


def _as_of(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--as-of") from exc


def score(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Score as of this day (YYYY-MM-DD); default today."),
    ] = None,
) -> None:
    """Score every contact now and print how well the models did."""
    from kith.insights.jobs import STAGES, scoring_run

    day = _as_of(as_of)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as bar:
        tasks = {name: bar.add_task(str(STAGE_LABELS[name]), total=None) for name in STAGES}

        def progress(stage: str, done: int, total: int) -> None:
            if stage in tasks:
                bar.update(tasks[stage], completed=done, total=total)

        try:
            run = scoring_run(as_of=day, progress=progress)
        except Exception as exc:
            failed = _("Scoring failed; no score was changed:")
            err.print(f"[red]{escape(failed)} {escape(str(exc))}[/red]")
            raise typer.Exit(1) from exc
    _print_metrics(run)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _print_metrics(run: Any) -> None:
    metrics = run.metrics or {}
    title = _("Scoring run %(id)s as of %(day)s") % {"id": run.pk, "day": run.as_of}
    table = Table(title=title, show_header=False)
    table.add_row(_("Contacts scored"), str(run.customers_scored))
    table.add_row(_("Customers with purchases"), _fmt(metrics.get("buyers")))
    table.add_row(
        _("Orders / lines"), f"{metrics.get('orders', 0)} / {metrics.get('order_lines', 0)}"
    )
    table.add_row(_("Currency"), str(metrics.get("currency", "")))
    bgnbd = metrics.get("bgnbd") or {}
    if bgnbd:
        table.add_row(
            "BG/NBD",
            ", ".join(f"{k}={_fmt(bgnbd.get(k))}" for k in ("r", "alpha", "a", "b")),
        )
    gamma = metrics.get("gamma_gamma") or {}
    if gamma:
        table.add_row(
            "Gamma-Gamma", ", ".join(f"{k}={_fmt(gamma.get(k))}" for k in ("p", "q", "v"))
        )
    holdout = metrics.get("clv_holdout") or {}
    if "predicted_total" in holdout:
        table.add_row(
            _("CLV holdout"),
            _("%(predicted)s repeat purchases predicted, %(actual)s made, MAE %(mae)s")
            % {
                "predicted": _fmt(holdout.get("predicted_total"), 0),
                "actual": holdout.get("actual_total"),
                "mae": _fmt(holdout.get("mae")),
            },
        )
    elif holdout:
        table.add_row(_("CLV holdout"), str(holdout.get("skipped", "")))
    churn = metrics.get("churn") or {}
    if "auc" in churn:
        table.add_row(
            _("Churn AUC"),
            _("%(auc)s (recency alone: %(baseline)s), Brier %(brier)s")
            % {
                "auc": _fmt(churn.get("auc")),
                "baseline": _fmt(churn.get("baseline_auc")),
                "brier": _fmt(churn.get("brier")),
            },
        )
        if churn.get("fallback"):
            table.add_row(_("Churn model"), str(churn["fallback"]))
    elif churn:
        table.add_row(_("Churn AUC"), str(churn.get("skipped", "")))
    table.add_row(_("Recommendation hit rate at 5"), _fmt(metrics.get("hit_rate_at_5")))
    seconds = metrics.get("seconds") or {}
    table.add_row(_("Seconds"), ", ".join(f"{k} {v}" for k, v in seconds.items()))
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add `kith score` to the `kith` app."""
    app.command("score")(score)
