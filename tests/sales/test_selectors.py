"""Sales selectors: board, forecast arithmetic, activity monitor, stage history, panels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from kith.sales import selectors, services
from kith.sales.models import Deal
from kith.sales.selectors import DealFilters
from kith.sales.services import LineInput
from tests.factories import make_contact
from tests.sales.factories import make_deal, make_product


def _close(deal: Deal, stage_id: int, at: datetime, by) -> None:
    services.deal_move(by=by, deal_id=deal.pk, stage_id=stage_id, now=at, lost_reason="Budget")


def test_forecast_exact_values(users, funnel):
    a, a2 = users.rep_a, users.rep_a2
    # Open deals, weighted by probability, by expected close month.
    make_deal(by=a, funnel=funnel, amount_minor=100_000, expected_close="2026-01-10")  # 10%
    proposal = make_deal(by=a, funnel=funnel, amount_minor=33_333, expected_close="2026-01-31")
    services.deal_move(by=a, deal_id=proposal.pk, stage_id=funnel.proposal.pk)  # 50%
    make_deal(by=a, funnel=funnel, amount_minor=80_000, probability=25, expected_close="2026-02-01")
    make_deal(by=a2, funnel=funnel, amount_minor=50_000, expected_close="2026-01-15")  # 10%
    # Won deals count as closed revenue in the month they closed; lost ones nowhere.
    won = make_deal(by=a, funnel=funnel, amount_minor=70_000, expected_close="2026-03-01")
    _close(won, funnel.won.pk, datetime(2026, 1, 20, 12, tzinfo=UTC), a)
    lost = make_deal(by=a, funnel=funnel, amount_minor=999_999, expected_close="2026-01-05")
    _close(lost, funnel.lost.pk, datetime(2026, 1, 21, 12, tzinfo=UTC), a)
    # Outside the window.
    make_deal(by=a, funnel=funnel, amount_minor=5_000, expected_close="2026-07-01")

    rows = selectors.sales_forecast(user=users.manager, start=date(2026, 1, 1), months=3)
    got = [(r.month, r.owner_id, r.pipeline_minor, r.open_minor, r.won_minor) for r in rows]
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    # Jan rep_a: 100000*10% + 33333*50% = 10000 + 16666.5 -> 26666 (rounded down).
    assert sorted(got) == sorted(
        [
            (jan, a.pk, 26_666, 133_333, 70_000),
            (jan, a2.pk, 5_000, 50_000, 0),
            (feb, a.pk, 20_000, 80_000, 0),
        ]
    )
    # rep_b sees nothing of team A.
    assert selectors.sales_forecast(user=users.rep_b, start=date(2026, 1, 1), months=3) == []


def test_board_columns_totals_and_more(users, funnel):
    for n in range(5):
        make_deal(by=users.rep_a, funnel=funnel, name=f"D{n}", amount_minor=1000 * (n + 1))
    moved = make_deal(by=users.rep_a, funnel=funnel, name="Moved", amount_minor=7000)
    services.deal_move(by=users.rep_a, deal_id=moved.pk, stage_id=funnel.proposal.pk)
    make_deal(by=users.rep_b, funnel=funnel, name="B's", amount_minor=1)
    board = selectors.deals_board(user=users.rep_a, pipeline=funnel.pipeline, per_column=3)
    by_stage = {c.stage.name: c for c in board.columns}
    assert [c.stage.name for c in board.columns] == [
        "Qualify",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    qualify = by_stage["Qualify"]
    assert qualify.count == 5
    assert [(t.currency, t.amount_minor, t.weighted_minor) for t in qualify.totals] == [
        ("USD", 15000, 1500)
    ]
    assert [d.name for d in qualify.deals] == ["D4", "D3", "D2"]
    more, _next = selectors.deals_column_more(
        user=users.rep_a,
        stage=funnel.qualify,
        filters=DealFilters(),
        cursor=qualify.next_cursor,
        per_column=3,
    )
    assert [d.name for d in more] == ["D1", "D0"]
    assert [d.name for d in by_stage["Proposal"].deals] == ["Moved"]
    owner_filtered = selectors.deals_board(
        user=users.manager, pipeline=funnel.pipeline, filters=DealFilters(owner_id=users.rep_a2.pk)
    )
    assert sum(c.count for c in owner_filtered.columns) == 0


def test_stage_history_time_in_stage(users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel)
    t0 = deal.stage_entered_at
    services.deal_move(
        by=users.rep_a, deal_id=deal.pk, stage_id=funnel.proposal.pk, now=t0 + timedelta(days=3)
    )
    stays = selectors.deal_stage_history(deal=deal, now=t0 + timedelta(days=4))
    assert [(s.stage, s.seconds) for s in stays] == [("Qualify", 3 * 86400), ("Proposal", 86400)]


def test_activity_monitor(users, funnel):
    old = timezone.now() - timedelta(days=30)
    stale = make_deal(by=users.rep_a, funnel=funnel, name="Stale", expected_close="2020-01-01")
    Deal.objects.filter(pk=stale.pk).update(stage_entered_at=old)
    fresh = make_deal(by=users.rep_a, funnel=funnel, name="Fresh")
    services.deal_move(
        by=users.rep_a,
        deal_id=fresh.pk,
        stage_id=funnel.proposal.pk,
        now=fresh.stage_entered_at + timedelta(days=2),
    )
    monitor = selectors.sales_activity(user=users.rep_a, pipeline=funnel.pipeline, stale_days=14)
    assert [d.name for d in monitor.stale] == ["Stale"]
    assert [d.name for d in monitor.overdue] == ["Stale"]
    metrics = {m.stage.name: m for m in monitor.stages}
    assert (metrics["Qualify"].entered, metrics["Qualify"].converted_pct) == (2, 50.0)
    assert metrics["Qualify"].avg_days == 2.0
    assert (metrics["Proposal"].entered, metrics["Proposal"].converted_pct) == (1, 0.0)
    assert metrics["Lost"].converted_pct is None


def test_activity_monitor_counts_interactions_logged_against_deals(users, funnel):
    from kith.engagement import services as engagement

    now = timezone.now()
    old = now - timedelta(days=30)
    called = make_deal(by=users.rep_a, funnel=funnel, name="Called last week")
    long_ago = make_deal(by=users.rep_a, funnel=funnel, name="Called long ago")
    silent = make_deal(by=users.rep_a, funnel=funnel, name="Silent")
    Deal.objects.filter(pk__in=[called.pk, long_ago.pk, silent.pk]).update(stage_entered_at=old)
    engagement.interaction_create(
        by=users.rep_a, kind="call", record_model="sales.deal", record_id=called.pk,
        occurred_at=now - timedelta(days=7), subject="Price check",
    )  # fmt: skip
    engagement.interaction_create(
        by=users.rep_a, kind="meeting", record_model="sales.deal", record_id=long_ago.pk,
        occurred_at=now - timedelta(days=20), subject="Kick-off",
    )  # fmt: skip
    monitor = selectors.sales_activity(user=users.rep_a, pipeline=funnel.pipeline, stale_days=14)
    by_name = {d.name: d for d in monitor.stale}
    assert set(by_name) == {"Called long ago", "Silent"}
    # The later of the last move and the last interaction.
    assert by_name["Called long ago"].last_activity_at == now - timedelta(days=20)
    assert by_name["Silent"].last_activity_at == Deal.objects.get(pk=silent.pk).stage_entered_at
    # With a 5-day window the call of last week no longer counts either.
    monitor = selectors.sales_activity(user=users.rep_a, pipeline=funnel.pipeline, stale_days=5)
    assert {d.name for d in monitor.stale} == {"Called last week", "Called long ago", "Silent"}


def test_contact_sales_panel(users, funnel):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA", price_minor=500)
    services.order_create(
        by=users.rep_a,
        contact_id=contact.pk,
        ordered_at=datetime(2025, 1, 1, tzinfo=UTC),
        lines=[LineInput(tea.pk, 2)],
    )
    make_deal(by=users.rep_a, funnel=funnel, name="Open", contact_ids=[contact.pk])
    panel = selectors.contact_sales_panel(user=users.rep_a, contact=contact)
    assert [(s.order_count, s.total_minor) for s in panel.summaries] == [(1, 1000)]
    assert [d.name for d in panel.open_deals] == ["Open"]
    items = list(
        selectors.orders_for_timeline(user=users.rep_a, contact_id=contact.pk, before=None, limit=5)
    )
    assert [(i.kind, i.title) for i in items] == [("order", f"Order #{items[0].key}: 10.00 USD")]
    assert (
        list(
            selectors.orders_for_timeline(
                user=users.rep_b, contact_id=contact.pk, before=None, limit=5
            )
        )
        == []
    )
    deal_items = list(
        selectors.deals_for_timeline(user=users.rep_a, contact_id=contact.pk, before=None, limit=5)
    )
    assert [i.title for i in deal_items] == ["Deal Open: 0.00 USD"]
