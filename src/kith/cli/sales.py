"""`kith sales forecast|quotas|leads-score`: the probabilistic forecast, the quota leaderboard
and a lead-scoring run from the shell, as --user sees them (default: the first superuser);
`--json` prints one JSON object."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kith.cli.acting import acting_user

out = Console()
err = Console(stderr=True)

sales_app = typer.Typer(
    name="sales", help="Sales force: forecast, quotas, lead scoring.", no_args_is_help=True
)

UserOpt = Annotated[
    str, typer.Option("--user", help="Act as this user (default: the first superuser).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
PeriodOpt = Annotated[str, typer.Option("--period", help="month or quarter.")]


def _period(period: str) -> str:
    from django.utils.translation import gettext as _

    if period not in ("month", "quarter"):
        err.print(_("--period: month or quarter."), style="red", markup=False)
        raise typer.Exit(2)
    return period


def _fail(exc: Exception) -> None:
    err.print(str(exc), style="red", markup=False)
    raise typer.Exit(2) from exc


@sales_app.command()
def forecast(
    period: PeriodOpt = "quarter",
    currency: Annotated[str, typer.Option(help="Report in this currency.")] = "",
    draws: Annotated[int, typer.Option(min=100, max=100_000)] = 10_000,
    user: UserOpt = "",
    as_json: AsJson = False,
) -> None:
    """P10 / P50 / P90 of the period's closed revenue per rep, team and pipeline, beside the
    weighted sum and the chance of reaching each quota."""
    from kith.core.errors import KithError
    from kith.insights.sales_forecast import forecast_probabilistic
    from kith.sales.money import money_format

    by = acting_user(user)
    try:
        result = forecast_probabilistic(
            user=by, period=_period(period), currency=currency.upper() or None, draws=draws
        )
    except KithError as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps(result.as_dict()))
        return
    table = Table(title=f"{result.start} – {result.end} ({result.currency})")
    for name in ("", "P10", "P50", "P90", "weighted", "won", "quota", "P(quota)"):
        table.add_column(name, justify="left" if not name else "right")
    for line in result.lines:
        d = line.distribution
        table.add_row(
            f"{line.kind}: {line.label}" if line.label else line.kind,
            *(money_format(int(v), result.currency) for v in (d.p10, d.p50, d.p90)),
            money_format(line.weighted_minor, result.currency),
            money_format(line.won_minor, result.currency),
            "" if line.quota_minor is None else money_format(line.quota_minor, result.currency),
            "" if d.p_quota is None else f"{100 * d.p_quota:.0f} %",
        )
    out.print(table)
    if result.unconverted:
        err.print("no exchange rate, left out: " + ", ".join(result.unconverted), markup=False)


@sales_app.command()
def quotas(period: PeriodOpt = "month", user: UserOpt = "", as_json: AsJson = False) -> None:
    """The leaderboard of the running period: attainment, pace, activity mix and pipeline
    coverage of every visible rep with a quota."""
    from kith.sales.selectors.quotas import leaderboard

    rows = leaderboard(user=acting_user(user), period=_period(period))
    if as_json:
        out.print_json(json.dumps({"period": period, "reps": [r.as_dict() for r in rows]}))
        return
    table = Table()
    for name in ("rep", "target", "won", "%", "pace %", "calls", "emails", "meetings", "coverage"):
        table.add_column(name, justify="left" if name == "rep" else "right")
    for r in rows:
        mix = {kind: f"{done}/{target or '—'}" for kind, done, target, _pct in r.mix_rows}
        table.add_row(
            r.holder, r.target_display, r.won_display, f"{r.pct or 0:.0f}",
            f"{r.pace_pct or 0:.0f}", mix["calls"], mix["emails"], mix["meetings"],
            "" if r.coverage is None else f"{r.coverage:.1f}×",
        )  # fmt: skip
    out.print(table)


@sales_app.command("leads-score")
def leads_score(
    route_team: Annotated[
        int, typer.Option("--route-team", help="Then route this team's new leads.")
    ] = 0,
    capacity: Annotated[int, typer.Option(min=1, help="Open leads per rep when routing.")] = 25,
    user: UserOpt = "",
    as_json: AsJson = False,
) -> None:
    """Refit the lead-scoring model on the converted and disqualified leads, score every open
    lead (administrators), and optionally route a team's new leads by score."""
    from django.utils.translation import gettext as _

    from kith.core.errors import KithError
    from kith.identity.access import admin_require
    from kith.insights.lead_job import lead_scores_run
    from kith.insights.lead_scores import run_note
    from kith.sales.services import leads_route

    by = acting_user(user)
    try:
        admin_require(by, message=_("Only administrators refit the lead-scoring model."))
        run = lead_scores_run()
        routed = leads_route(by=by, team_id=route_team, capacity=capacity) if route_team else None
    except KithError as exc:
        _fail(exc)
    m = run.metrics
    result: dict[str, Any] = {
        "model": run.kind,
        "note": run_note(run),
        "leads_scored": run.leads_scored,
        "metrics": {k: v for k, v in m.items() if not k.startswith("reliability")},
    }
    if routed is not None:
        result["routed"] = {str(k): v for k, v in routed.routed.items()}
        result["kept"] = routed.kept
    if as_json:
        out.print_json(json.dumps(result))
        return
    out.print(f"{run.kind}: {run.leads_scored} open leads scored", markup=False)
    if result["note"]:
        out.print(result["note"], markup=False)
    if "log_loss" in m:
        out.print(
            f"held-out {m['test']} leads: log-loss {m['log_loss']:.3f} (naive Bayes "
            f"{m['log_loss_nb']:.3f}), AUC {m['auc'] or 0:.3f} (naive Bayes {m['auc_nb'] or 0:.3f}),"
            f" ECE {m['ece']:.3f}",
            markup=False,
        )
    if routed is not None:
        out.print(
            f"routed {sum(len(v) for v in routed.routed.values())}, kept {len(routed.kept)}",
            markup=False,
        )


def register(app: typer.Typer) -> None:
    """Add `kith sales …` to the `kith` app."""
    app.add_typer(sales_app)
