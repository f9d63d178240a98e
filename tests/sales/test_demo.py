"""The sales demo: every stage and channel covered, orders with differing buying patterns, and
purchase summaries that agree with the orders."""

from __future__ import annotations

import statistics

import pytest
from django.db.models import Count, Sum

from kith.demo import demo_load
from kith.sales.models import (
    Channel,
    Deal,
    DealStageChange,
    Lead,
    Order,
    OrderLine,
    PurchaseSummary,
    Stage,
    WebForm,
)


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_load(size="tiny")


def test_sales_demo(demo):
    assert demo.more["deals"] == Deal.objects.count() > 0
    # Marketing's campaigns and loyalty's referrals add orders of their own, one line each.
    others = demo.more.get("campaign_orders", 0) + demo.more.get("loyalty_referral_orders", 0)
    assert demo.more["orders"] + others == Order.objects.count() > others
    assert demo.more["order_lines"] + others == OrderLine.objects.count()
    stages_with_deals = set(Deal.objects.values_list("stage_id", flat=True))
    assert stages_with_deals == set(Stage.objects.values_list("pk", flat=True))
    # Every deal's history ends in its current stage.
    for deal in Deal.objects.all()[:50]:
        last = DealStageChange.objects.filter(deal=deal).order_by("-at", "-id").first()
        assert last.to_stage_id == deal.stage_id
    assert set(Lead.objects.values_list("source_channel", flat=True)) == set(Channel.values)
    assert Lead.objects.filter(status="disqualified").exclude(disqualified_reason="").exists()
    assert WebForm.objects.filter(slug="contact-us", is_active=True).exists()


def test_demo_orders_differ_between_customers_and_match_summaries(demo):
    per_contact = dict(
        Order.objects.filter(status__in=Order.COUNTED)
        .values("contact_id")
        .annotate(n=Count("id"))
        .values_list("contact_id", "n")
    )
    counts = list(per_contact.values())
    assert len(counts) > 10
    assert statistics.pstdev(counts) > 1  # heterogeneous purchase rates
    totals = dict(
        Order.objects.filter(status__in=Order.COUNTED)
        .values("contact_id")
        .annotate(t=Sum("total_minor"))
        .values_list("contact_id", "t")
    )
    summaries = {s.contact_id: s for s in PurchaseSummary.objects.all()}
    assert set(summaries) == set(per_contact)
    for contact_id, summary in summaries.items():
        assert (summary.order_count, summary.total_minor) == (
            per_contact[contact_id],
            totals[contact_id],
        )


def test_sales_demo_reports_progress(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seen: dict[str, list[tuple[int, int]]] = {}
    demo_load(
        size="tiny",
        progress=lambda stage, done, total: seen.setdefault(stage, []).append((done, total)),
    )
    for stage in ("deals", "leads", "orders (customers)"):
        reports = seen[stage]
        assert reports[-1][0] == reports[-1][1] > 0, stage  # ends complete
        assert [done for done, _total in reports] == sorted(done for done, _total in reports)
    assert len(seen["deals"]) == 2  # one report per pipeline
