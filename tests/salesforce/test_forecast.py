"""The probabilistic forecast and its backtest over the database, and the win-probability job."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from django.utils import timezone

from kith.engagement.models import Interaction
from kith.insights.engine.forecast_mc import moments_exact
from kith.insights.sales_forecast import forecast_backtest, forecast_probabilistic
from kith.insights.win_job import win_scores_run
from kith.insights.win_models import DealWinScore
from kith.sales.models import Deal, DealStageChange
from kith.sales.services.quotas import quota_set
from tests.sales.factories import make_deal

pytestmark = pytest.mark.django_db
TODAY = date(2026, 2, 10)  # inside Q1 2026
Q1 = date(2026, 1, 1)


def _aware(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def book(users, funnel):
    """Open deals of three reps due in Q1 (and one after it), and deals won in Q1."""
    open_deals = []
    for rep, amount, stage in (
        (users.rep_a, 100_000, funnel.proposal),  # 50 %
        (users.rep_a, 40_000, funnel.qualify),  # 10 %
        (users.rep_a2, 60_000, funnel.negotiation),  # 75 %
        (users.rep_b, 80_000, funnel.proposal),
    ):
        open_deals.append(
            make_deal(
                by=rep,
                funnel=funnel,
                amount_minor=amount,
                stage_id=stage.pk,
                expected_close=date(2026, 3, 15),
            )
        )
    make_deal(
        by=users.rep_a,
        funnel=funnel,
        amount_minor=500_000,
        stage_id=funnel.proposal.pk,
        expected_close=date(2026, 6, 1),
    )  # due next quarter
    for rep, amount in ((users.rep_a, 30_000), (users.rep_b, 10_000)):
        won = make_deal(by=rep, funnel=funnel, amount_minor=amount)
        Deal.objects.filter(pk=won.pk).update(
            outcome="won",
            stage=funnel.won,
            closed_at=_aware(date(2026, 1, 20)),
            expected_close=date(2026, 1, 15),
        )
    quota_set(
        by=users.manager,
        owner_id=users.rep_a.pk,
        period="quarter",
        period_start=Q1,
        revenue_minor=100_000,
    )
    return open_deals


def test_the_forecast_matches_the_exact_moments_per_rep_team_and_total(
    users, book, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(12):
        forecast = forecast_probabilistic(
            user=users.manager, period="quarter", today=TODAY, draws=20_000, seed=1
        )
    lines = {(line.kind, line.label): line for line in forecast.lines}
    total = lines[("total", "")]
    # Slips: the won deals closed 5 days after their expected close, still inside Q1 here.
    mean, var = moments_exact([100_000, 40_000, 60_000, 80_000], [0.5, 0.1, 0.75, 0.5])
    assert total.won_minor == 40_000
    assert total.distribution.mean == pytest.approx(40_000 + mean, rel=0.02)
    assert total.weighted_minor == 40_000 + mean
    assert total.distribution.p10 <= total.distribution.p50 <= total.distribution.p90
    assert total.open_deals == 5  # the one due next quarter is open too, it just cannot land
    ann = lines[("rep", str(users.rep_a))]
    assert ann.quota_minor == 100_000 and ann.won_minor == 30_000
    # Ann reaches 100,000 only if her 100,000 deal wins (50 %): 30,000 + 40,000 is not enough.
    assert ann.distribution.p_quota == pytest.approx(0.5, abs=0.02)
    team_a = lines[("team", "Team A")]
    assert team_a.open_deals == 4 and team_a.won_minor == 30_000
    assert {line.kind for line in forecast.lines} == {"total", "rep", "team", "pipeline"}
    assert np.isclose(sum(c for _e, c in forecast.histogram), 20_000)
    _ = var


def test_a_rep_forecasts_only_their_team(users, book) -> None:
    forecast = forecast_probabilistic(user=users.rep_b, period="quarter", today=TODAY)
    reps = {line.label for line in forecast.lines if line.kind == "rep"}
    assert reps == {str(users.rep_b)}
    total = next(line for line in forecast.lines if line.kind == "total")
    assert total.won_minor == 10_000


def test_stored_win_probabilities_replace_the_deal_probability(users, book) -> None:
    run = win_scores_run()
    assert run.kind == "stage_defaults" and run.reason == "too_little_history"
    assert DealWinScore.objects.count() == Deal.objects.filter(outcome="open").count()
    DealWinScore.objects.filter(deal=book[0]).update(probability=1.0)
    forecast = forecast_probabilistic(user=users.manager, period="quarter", today=TODAY)
    ann = next(line for line in forecast.lines if line.label == str(users.rep_a))
    assert ann.distribution.p_quota == 1.0  # her 100,000 deal is now certain
    assert forecast.model_kind == "stage_defaults"


def test_the_job_learns_from_closed_deals(users, funnel) -> None:
    """Won deals had many logged activities, lost ones few: the fit finds it."""
    rng = np.random.default_rng(0)
    start = timezone.now() - timedelta(days=420)
    deals, changes, acts = [], [], []
    for i in range(120):
        won = bool(rng.uniform() < 0.45)
        created = start + timedelta(days=i * 3)
        closed = created + timedelta(days=20)
        deals.append(
            Deal(
                name=f"D{i}",
                pipeline=funnel.pipeline,
                stage=funnel.won if won else funnel.lost,
                outcome="won" if won else "lost",
                amount_minor=10_000,
                owner=users.rep_a,
                team=users.rep_a.team,
                closed_at=closed,
                created_at=created,
            )
        )
    Deal.objects.bulk_create(deals)
    made = list(Deal.objects.filter(outcome__in=("won", "lost")).order_by("id"))
    for deal, source in zip(made, deals, strict=True):
        deal.created_at = source.closed_at - timedelta(days=20)
    Deal.objects.bulk_update(made, ["created_at"])
    for deal in Deal.objects.filter(outcome__in=("won", "lost")):
        changes.append(
            DealStageChange(
                deal=deal,
                from_stage=funnel.proposal,
                to_stage=deal.stage,
                seconds_in_from=10 * 86400,
                at=deal.closed_at,
            )
        )
        for k in range(1 + int(rng.poisson(5 if deal.outcome == "won" else 0.5))):
            acts.append(
                Interaction(
                    owner=users.rep_a,
                    team=users.rep_a.team,
                    kind="call",
                    record_model="sales.deal",
                    record_id=deal.pk,
                    occurred_at=deal.closed_at - timedelta(days=k + 1),
                )
            )
    DealStageChange.objects.bulk_create(changes)
    Interaction.objects.bulk_create(acts)
    busy, quiet = (
        make_deal(by=users.rep_a, funnel=funnel, stage_id=funnel.proposal.pk, amount_minor=10_000)
        for _i in range(2)
    )
    for k in range(1, 7):
        Interaction.objects.create(
            owner=users.rep_a,
            team=users.rep_a.team,
            kind="call",
            record_model="sales.deal",
            record_id=busy.pk if k < 6 else quiet.pk,  # busy: 5 calls, quiet: 1
            occurred_at=timezone.now() - timedelta(days=1 if k == 6 else k),
        )
    run = win_scores_run()
    assert run.kind == "logistic", run.reason
    assert run.metrics["log_loss"] < run.metrics["log_loss_stage"]
    assert 0 <= run.metrics["ece"] <= 1 and run.metrics["reliability"]
    scores = {s.deal_id: s for s in DealWinScore.objects.all()}
    assert scores[busy.pk].probability > scores[quiet.pk].probability
    assert any(name == "activities" for name, _v in scores[busy.pk].drivers)


def test_backtest_rows_and_summary(users, funnel, django_assert_max_num_queries) -> None:
    for month in (10, 11, 12):
        deal = make_deal(
            by=users.rep_a,
            funnel=funnel,
            amount_minor=50_000,
            stage_id=funnel.proposal.pk,
            expected_close=date(2025, month, 20),
        )
        Deal.objects.filter(pk=deal.pk).update(created_at=_aware(date(2025, month - 1, 5)))
        DealStageChange.objects.filter(deal=deal).update(at=_aware(date(2025, month - 1, 5)))
        if month != 11:
            Deal.objects.filter(pk=deal.pk).update(
                outcome="won", stage=funnel.won, closed_at=_aware(date(2025, month, 22))
            )
    with django_assert_max_num_queries(4 + 2 * 3):  # + deals created and won in a period
        rows, summary = forecast_backtest(
            user=users.manager, period="month", periods=3, today=date(2026, 1, 5)
        )
    assert [r.start for r in rows] == [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)]
    assert [r.actual_minor for r in rows] == [50_000, 0, 50_000]
    assert [r.weighted_minor for r in rows] == [25_000, 25_000, 25_000]
    assert summary["periods"] == 3 and summary["mape_weighted"] == pytest.approx(0.5)
    assert 0 <= summary["coverage"] <= 1


def test_deals_at_risk_with_a_next_action(users, funnel, django_assert_max_num_queries) -> None:
    from kith.insights.deals_at_risk import deals_at_risk

    quiet = make_deal(by=users.rep_a, funnel=funnel, name="Quiet", expected_close=date(2026, 1, 1))
    Deal.objects.filter(pk=quiet.pk).update(stage_entered_at=timezone.now() - timedelta(days=30))
    fresh = make_deal(by=users.rep_a, funnel=funnel, name="Fresh")
    Interaction.objects.create(
        owner=users.rep_a,
        team=users.rep_a.team,
        kind="call",
        record_model="sales.deal",
        record_id=fresh.pk,
        occurred_at=timezone.now(),
    )
    make_deal(by=users.rep_b, funnel=funnel, name="Other team", expected_close=date(2026, 1, 1))
    with django_assert_max_num_queries(5):
        risks = deals_at_risk(user=users.rep_a, today=date(2026, 12, 1))
    assert [r.deal.name for r in risks] == ["Quiet"]
    assert len(risks[0].reasons) == 2 and risks[0].action
