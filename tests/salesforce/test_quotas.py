"""Quotas: setting them, attainment and pacing, history, the leaderboard and the gate."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from kith.core.errors import FieldError, Forbidden, NotFound
from kith.core.models import ChangeRecord
from kith.engagement.models import Interaction
from kith.sales.models import Deal, Quota
from kith.sales.selectors.quotas import leaderboard, quota_get, quota_list
from kith.sales.services.quotas import period_bounds, period_start_of, quota_delete, quota_set
from tests.sales.factories import make_deal

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


def _won(deal: Deal, day: date) -> None:
    Deal.objects.filter(pk=deal.pk).update(
        outcome="won", closed_at=timezone.make_aware(datetime(day.year, day.month, day.day, 12))
    )


def _deal(by, funnel, amount: int, won_on: date | None = None, currency: str = "USD") -> Deal:
    deal = make_deal(by=by, funnel=funnel, amount_minor=amount, currency=currency)
    if won_on:
        _won(deal, won_on)
    return deal


def test_periods() -> None:
    assert period_start_of("quarter", date(2026, 5, 17)) == date(2026, 4, 1)
    assert period_bounds("quarter", date(2026, 10, 1)) == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds("month", date(2026, 12, 1)) == (date(2026, 12, 1), date(2027, 1, 1))


def test_a_manager_sets_a_quota_replaces_it_with_history(users) -> None:
    quota = quota_set(
        by=users.manager,
        owner_id=users.rep_a.pk,
        period="month",
        period_start=MARCH,
        revenue_minor=1_000_000,
        deals_target=4,
    )
    assert quota.team_id == users.rep_a.team_id
    again = quota_set(
        by=users.manager,
        owner_id=users.rep_a.pk,
        period="month",
        period_start=MARCH,
        revenue_minor=2_000_000,
    )
    assert again.pk == quota.pk and again.version == 2 and again.revenue_minor == 2_000_000
    fields = set(
        ChangeRecord.objects.filter(model="sales.quota", object_id=quota.pk).values_list(
            "field", flat=True
        )
    )
    assert {"revenue_minor", "deals_target"} <= fields
    quota_delete(by=users.manager, quota_id=quota.pk)
    assert not Quota.objects.exists()


def test_bad_input_names_the_field_and_writes_nothing(users) -> None:
    with pytest.raises(FieldError) as err:
        quota_set(
            by=users.manager,
            owner_id=users.rep_a.pk,
            period="week",
            period_start=MARCH,
            revenue_minor=-5,
            currency="dollars",
        )
    assert {"period", "revenue_minor", "currency"} <= set(err.value.errors)
    with pytest.raises(FieldError) as err:
        quota_set(by=users.manager, period="month", period_start=MARCH, revenue_minor=1)
    assert "owner_id" in err.value.errors
    with pytest.raises(FieldError) as err:
        quota_set(
            by=users.manager,
            team_id=users.rep_a.team_id,
            period="quarter",
            period_start=date(2026, 2, 1),
            revenue_minor=1,
        )
    assert "period_start" in err.value.errors
    assert not Quota.objects.exists()


def test_a_rep_may_not_set_quotas(users) -> None:
    with pytest.raises(Forbidden):
        quota_set(
            by=users.rep_a,
            owner_id=users.rep_a.pk,
            period="month",
            period_start=MARCH,
            revenue_minor=1,
        )


def test_attainment_pacing_deals_and_activities(users, funnel) -> None:
    quota = quota_set(
        by=users.manager,
        owner_id=users.rep_a.pk,
        period="month",
        period_start=MARCH,
        revenue_minor=100_000,
        deals_target=4,
        activities_target=10,
    )
    _deal(users.rep_a, funnel, 20_000, date(2026, 3, 3))
    _deal(users.rep_a, funnel, 21_000, date(2026, 3, 9))
    _deal(users.rep_a, funnel, 99_000, date(2026, 2, 27))  # before the month
    _deal(users.rep_a, funnel, 50_000, date(2026, 3, 5), currency="VND")  # another currency
    _deal(users.rep_a2, funnel, 70_000, date(2026, 3, 5))  # a team mate's
    _deal(users.rep_a, funnel, 30_000)  # still open
    for n in range(3):
        Interaction.objects.create(
            owner=users.rep_a,
            team=users.rep_a.team,
            kind="call",
            occurred_at=timezone.make_aware(datetime(2026, 3, 2 + n, 10)),
        )
    got = quota_get(user=users.rep_a, quota_id=quota.pk, today=date(2026, 3, 10))
    assert (got.won_minor, got.won_deals, got.activities) == (41_000, 2, 3)
    assert got.pct == 41.0
    # 10 of 31 days gone: 41 % so far is a pace of 41 × 31 / 10 = 127.1 %.
    assert got.pace_pct == 127.1
    assert got.pace_text == "at this pace: 127 % of target"
    assert got.deals_pct == 50.0 and got.activities_pct == 30.0
    team = quota_set(
        by=users.manager,
        team_id=users.rep_a.team_id,
        period="quarter",
        period_start=date(2026, 1, 1),
        revenue_minor=500_000,
    )
    team_got = quota_get(user=users.manager, quota_id=team.pk, today=date(2026, 4, 2))
    assert team_got.won_minor == 20_000 + 21_000 + 99_000 + 70_000
    assert team_got.pace_pct == team_got.pct  # the quarter is over


def test_history_is_paginated_and_newest_first(users, django_assert_max_num_queries) -> None:
    for month in range(1, 7):
        quota_set(
            by=users.manager,
            owner_id=users.rep_a.pk,
            period="month",
            period_start=date(2026, month, 1),
            revenue_minor=1000 * month,
        )
    page, rows = quota_list(user=users.manager, owner_id=users.rep_a.pk, limit=4)
    assert [r.start.month for r in rows] == [6, 5, 4, 3]
    assert page.next_cursor
    # A page of 4 months: 1 page query + 2 per month (won deals, activities).
    with django_assert_max_num_queries(1 + 2 * 4 + 1):
        _page, rows = quota_list(
            user=users.manager, owner_id=users.rep_a.pk, cursor=page.next_cursor, limit=4
        )
    assert [r.start.month for r in rows] == [2, 1]


def test_leaderboard_ranks_and_reps_see_only_their_team(
    users, funnel, django_assert_max_num_queries
) -> None:
    for rep, target in ((users.rep_a, 100_000), (users.rep_a2, 50_000), (users.rep_b, 10_000)):
        quota_set(
            by=users.manager,
            owner_id=rep.pk,
            period="month",
            period_start=MARCH,
            revenue_minor=target,
        )
    _deal(users.rep_a, funnel, 30_000, date(2026, 3, 2))
    _deal(users.rep_a2, funnel, 40_000, date(2026, 3, 2))
    _deal(users.rep_b, funnel, 5_000, date(2026, 3, 2))
    with django_assert_max_num_queries(4):
        board = leaderboard(user=users.manager, period="month", today=date(2026, 3, 20))
    assert [(a.holder, a.pct) for a in board] == [
        (str(users.rep_a2), 80.0),
        (str(users.rep_b), 50.0),
        (str(users.rep_a), 30.0),
    ]
    mine = leaderboard(user=users.rep_a, period="month", today=date(2026, 3, 20))
    assert {a.quota.owner_id for a in mine} == {users.rep_a.pk, users.rep_a2.pk}
    b_quota = Quota.objects.get(owner=users.rep_b)
    with pytest.raises(NotFound):
        quota_get(user=users.rep_a, quota_id=b_quota.pk)
    _page, listed = quota_list(user=users.rep_b)
    assert [a.quota.owner_id for a in listed] == [users.rep_b.pk]
    _ = timedelta
