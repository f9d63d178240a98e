"""Company-wide counts are not shown to a user who sees part of the base (found when attacked:
the model quality card and /api/v1/insights/runs/latest told a rep the size of the company)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from kith.insights.models import CustomerScore, ScoringRun

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def run(records):
    CustomerScore.objects.create(
        contact=records.contact_a, segment="champions", scored_at=timezone.now()
    )
    CustomerScore.objects.create(
        contact=records.contact_b, segment="champions", scored_at=timezone.now()
    )
    return ScoringRun.objects.create(
        started_at=timezone.now(),
        finished_at=timezone.now(),
        as_of=date(2026, 1, 1),
        status=ScoringRun.Status.SUCCEEDED,
        customers_scored=7321,
        metrics={
            "contacts": 7321,
            "buyers": 4000,
            "orders": 99999,
            "churn": {"auc": 0.8, "calibration": [[0.1, 0.1, 5000]]},
        },
    )


def test_the_api_run_is_counted_over_the_reps_contacts(users, run, api_for):
    rep = api_for(users.rep_a).get("/api/v1/insights/runs/latest").json()
    assert rep["customers_scored"] == 1
    assert "contacts" not in rep["metrics"] and "orders" not in rep["metrics"]
    assert rep["metrics"]["churn"] == {"auc": 0.8}
    admin = api_for(users.admin).get("/api/v1/insights/runs/latest").json()
    assert admin["customers_scored"] == 7321 and admin["metrics"]["orders"] == 99999
    run.refresh_from_db()
    assert run.customers_scored == 7321  # nothing saved


def test_the_model_quality_card_is_counted_over_the_reps_contacts(users, run, web_for):
    page = web_for(users.rep_a).get("/insights/").content.decode()
    assert "7321" not in page and "7,321" not in page and "99999" not in page
    assert "for 1 contacts" in page
    admin = web_for(users.admin).get("/insights/").content.decode()
    assert "7321" in admin or "7,321" in admin
