"""`kith sales forecast|quotas|leads-score --json`: thin commands over the forecast, the
leaderboard and the lead-scoring job, as --user sees them."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from kith.cli.app import app
from kith.insights.lead_models import LeadModelRun
from kith.sales.models import Lead
from kith.sales.services.quotas import period_start_of, quota_set
from tests.sales.factories import make_deal

pytestmark = pytest.mark.django_db


def kith(*args: str):
    return CliRunner().invoke(app, list(args))


def test_forecast_quotas_and_lead_scoring(users, funnel) -> None:
    quota_set(
        by=users.manager, owner_id=users.rep_a.pk, period="month",
        period_start=period_start_of("month", timezone.localdate()), revenue_minor=100_000,
        calls_target=10,
    )  # fmt: skip
    make_deal(by=users.rep_a, funnel=funnel, amount_minor=80_000, stage_id=funnel.proposal.pk,
              expected_close=timezone.localdate())  # fmt: skip
    got = kith("sales", "forecast", "--period", "month", "--draws", "500", "--json")
    assert got.exit_code == 0, got.output
    body = json.loads(got.output)
    assert body["currency"] == "USD" and body["lines"][0]["kind"] == "total"
    assert body["lines"][0]["weighted_minor"] == 40_000
    rep = kith("sales", "quotas", "--user", "rep_b", "--json")
    assert rep.exit_code == 0 and json.loads(rep.output)["reps"] == []  # another team's
    board = json.loads(kith("sales", "quotas", "--user", "manager", "--json").output)
    (row,) = board["reps"]
    assert row["owner_id"] == users.rep_a.pk and row["activity_mix"]["calls"]["target"] == 10
    assert row["open_pipeline_minor"] == 80_000 and row["pipeline_coverage"] == 0.8
    assert kith("sales", "forecast", "--period", "year").exit_code == 2

    Lead.objects.create(owner=users.rep_a, team_id=users.rep_a.team_id, full_name="New")
    refused = kith("sales", "leads-score", "--user", "rep_a")
    assert refused.exit_code == 2 and "administrators" in refused.output
    scored = kith("sales", "leads-score", "--json", "--route-team", str(users.rep_a.team_id))
    assert scored.exit_code == 0, scored.output
    body = json.loads(scored.output)
    assert body["model"] == "too_little_history" and body["leads_scored"] == 1
    assert "Too little history" in body["note"] and body["kept"] == []
    assert LeadModelRun.objects.count() == 1
