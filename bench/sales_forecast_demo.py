"""Accuracy on the demo data: the win-probability model against the stage defaults, the
lead-scoring model against naive Bayes (held-out leads) and the forecast backtest (weighted
sum vs Monte Carlo), on a fresh demo base of --size.

    .venv/bin/python bench/sales_forecast_demo.py [--size small] [--write]
"""

from __future__ import annotations

import argparse

import harness


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    load = harness.Load()
    with harness.database("sqlite"):
        from django.conf import settings

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        from kith.demo import demo_load
        from kith.identity.models import User
        from kith.insights.lead_models import LeadModelRun
        from kith.insights.sales_forecast import forecast_backtest
        from kith.insights.win_models import WinModelRun

        demo_load(size=args.size)
        run = WinModelRun.objects.get()
        m = run.metrics
        lead_run = LeadModelRun.objects.get()
        lm = lead_run.metrics
        admin = User.objects.get(username="admin")
        _rows, back = forecast_backtest(user=admin, period="month", periods=12)
    load.end()

    def f(key: str, metrics: dict | None = None) -> str:
        value = (m if metrics is None else metrics).get(key)
        return "—" if value is None else f"{value:.3f}"

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{100 * value:.1f} %"

    lines = [
        f"`.venv/bin/python bench/sales_forecast_demo.py --size {args.size} --write` "
        f"({load.text()})",
        "",
        f"Win probability: model kept `{run.kind}` {run.reason}; {m.get('closed')} closed deals, "
        f"held out the latest {m.get('test')}.",
        "",
        *harness.table(
            ["held-out closed deals", "log-loss", "AUC", "ECE"],
            [
                ["logistic model", f("log_loss"), f("auc"), f("ece")],
                ["stage defaults", f("log_loss_stage"), f("auc_stage"), f("ece_stage")],
            ],
            right_from=1,
        ),
        "",
        f"Lead scoring: model kept `{lead_run.kind}`; {lm.get('leads')} decided leads "
        f"({lm.get('converted')} converted), held out a random {lm.get('test')}.",
        "",
        *harness.table(
            ["held-out decided leads", "log-loss", "AUC", "ECE"],
            [
                ["boosted trees", f("log_loss", lm), f("auc", lm), f("ece", lm)],
                ["naive Bayes (Odoo's)", f("log_loss_nb", lm), f("auc_nb", lm),
                 f("ece_nb", lm)],
            ],
            right_from=1,
        ),
        "",
        *harness.table(
            ["backtest, 12 past months", "MAPE weighted sum", "MAPE Monte Carlo P50",
             "P10–P90 coverage"],
            [["demo base", pct(back["mape_weighted"]), pct(back["mape_mc"]),
              pct(back["coverage"])]],
            right_from=1,
        ),
    ]  # fmt: skip
    text = "\n".join(lines)
    print(text)
    if args.write:
        harness.section_write(f"Sales: forecast accuracy on the demo data ({args.size})", text)


if __name__ == "__main__":
    main()
