"""The nightly job on a new install: no contacts, or a few customers with a handful of orders,
scores what it can (RFM) and says why the models it skipped were not fitted."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from kith.core.schedules import SCHEDULES
from kith.insights import jobs, tasks
from kith.insights.models import CustomerScore, ScoringRun
from kith.sales import services
from tests.factories import make_contact
from tests.sales.factories import make_product


def test_nightly_schedule_is_registered():
    schedule = SCHEDULES["insights.score_nightly"]
    assert schedule.at == time(2, 0) and schedule.every == timedelta(days=1)
    assert schedule.task is tasks.scoring_run_task


def test_empty_database_scores_nothing_and_succeeds(db):
    run_id = tasks.scoring_run_task.call()
    run = ScoringRun.objects.get(pk=run_id)
    assert (run.status, run.customers_scored) == (ScoringRun.Status.SUCCEEDED, 0)
    assert "skipped" in run.metrics["clv"] and "skipped" in run.metrics["churn"]


def test_few_customers_get_rfm_and_no_model_scores(users):
    product = make_product(by=users.admin, category="Tea")
    buyers = [make_contact(by=users.rep_a, full_name=f"Buyer {i}") for i in range(3)]
    browser = make_contact(by=users.rep_b, full_name="Just Looking")
    now = datetime.now(UTC)
    services.orders_import(
        by=users.admin,
        orders=[
            services.OrderImport(
                contact_id=c.pk,
                ordered_at=now - timedelta(days=30 * (i + 1) * (k + 1)),
                lines=[(product.pk, 1 + k, 1250)],
            )
            for i, c in enumerate(buyers)
            for k in range(i + 1)
        ],
    )
    run = jobs.scoring_run()
    assert run.status == ScoringRun.Status.SUCCEEDED
    assert run.customers_scored == 4
    scores = {s.contact_id: s for s in CustomerScore.objects.all()}
    assert [scores[c.pk].frequency for c in buyers] == [1, 2, 3]
    assert scores[buyers[0].pk].monetary == 12.5
    assert all(scores[c.pk].segment for c in buyers)
    assert scores[browser.pk].segment == "" and scores[browser.pk].frequency is None
    assert scores[buyers[2].pk].clv is None  # 3 buyers: no CLV model
    assert run.metrics["currency"] == "USD" and run.metrics["orders"] == 6
