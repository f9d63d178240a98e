"""The sales force pages and API v1: forecast, backtest, quotas, leaderboard, and the gate."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from kith.sales.models import Quota
from kith.sales.services.quotas import period_start_of, quota_set
from tests.sales.factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_quotas(users, funnel):
    start = period_start_of("month", timezone.localdate())
    for rep, target in ((users.rep_a, 100_000), (users.rep_b, 50_000)):
        quota_set(
            by=users.manager,
            owner_id=rep.pk,
            period="month",
            period_start=start,
            revenue_minor=target,
        )
    make_deal(
        by=users.rep_a,
        funnel=funnel,
        amount_minor=80_000,
        stage_id=funnel.proposal.pk,
        expected_close=timezone.localdate(),
    )
    return start


def test_forecast_page(web_for, users, month_quotas, django_assert_max_num_queries) -> None:
    client = web_for(users.manager)
    with django_assert_max_num_queries(40):
        response = client.get(reverse("forecast-mc") + "?period=month")
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-forecast-lines" in html and "data-backtest" in html
    assert "forecast-mc-data" in html and str(users.rep_a) in html and "data-at-risk" in html


def test_quota_page_leaderboard_and_gate(
    web_for, users, month_quotas, django_assert_max_num_queries
) -> None:
    client = web_for(users.manager)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("quota-board"))
    html = response.content.decode()
    assert response.status_code == 200 and "data-leaderboard" in html
    assert str(users.rep_b) in html and "Set a quota" in html
    rep = web_for(users.rep_a).get(reverse("quota-board")).content.decode()
    assert str(users.rep_a) in rep and str(users.rep_b) not in rep
    assert "Set a quota" not in rep


def test_setting_a_quota_from_the_page(web_for, users, month_quotas) -> None:
    response = web_for(users.manager).post(
        reverse("quota-set"),
        {
            "holder": f"team:{users.rep_a.team_id}",
            "period": "quarter",
            "period_start": "2026-04-01",
            "revenue": "1,500.50",
            "currency": "USD",
        },
    )
    assert response.status_code == 302
    quota = Quota.objects.get(owner__isnull=True)
    assert quota.revenue_minor == 150_050 and quota.period_start == date(2026, 4, 1)
    web_for(users.rep_a).post(
        reverse("quota-set"),
        {
            "holder": f"rep:{users.rep_a.pk}",
            "period": "month",
            "period_start": "2026-04-01",
            "revenue": "9",
        },
    )
    assert not Quota.objects.filter(revenue_minor=900).exists()


def test_api(api_for, users, month_quotas) -> None:
    manager = api_for(users.manager)
    body = manager.get("/api/v1/sales/forecast/probabilistic?period=month&draws=2000").json()
    assert {line["kind"] for line in body["lines"]} == {"total", "rep", "team", "pipeline"}
    rep_line = next(x for x in body["lines"] if x["kind"] == "rep")
    assert rep_line["quota_minor"] == 100_000 and 0 <= rep_line["p_quota"] <= 1
    wrong = manager.get("/api/v1/sales/forecast/probabilistic?period=week")
    assert wrong.status_code == 422, wrong.content  # FieldError, naming the field
    back = manager.get("/api/v1/sales/forecast/backtest?periods=3").json()
    assert len(back["rows"]) == 3 and back["periods"] == 3
    page = manager.get("/api/v1/sales/quotas?limit=1").json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    board = manager.get("/api/v1/sales/quotas/leaderboard").json()
    assert next(q["holder"] for q in board) == str(users.rep_a)  # 0 % each: by name
    created = manager.post(
        "/api/v1/sales/quotas",
        {
            "team_id": users.rep_b.team_id,
            "period": "month",
            "period_start": str(month_quotas),
            "revenue_minor": 70_000,
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["holder"] == "Team B"
    bad = manager.post(
        "/api/v1/sales/quotas",
        {
            "owner_id": users.rep_a.pk,
            "period": "month",
            "period_start": "2026-04-02",
            "revenue_minor": 1,
        },
        content_type="application/json",
    )
    assert bad.status_code == 422 and "period_start" in bad.content.decode()
    rep = api_for(users.rep_b)
    mine = rep.get("/api/v1/sales/quotas").json()["items"]
    assert {q["holder"] for q in mine} == {str(users.rep_b), "Team B"}
    a_quota = Quota.objects.get(owner=users.rep_a)
    assert rep.get(f"/api/v1/sales/quotas/{a_quota.pk}").status_code == 404
    assert rep.delete(f"/api/v1/sales/quotas/{created.json()['id']}").status_code == 403
    assert manager.delete(f"/api/v1/sales/quotas/{a_quota.pk}").status_code == 204
    assert rep.get("/api/v1/sales/win-model").json()["reason"] == "not_fitted"
