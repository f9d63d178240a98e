"""The campaign report: funnel per variant and holdout, orders attributed in the window, and the
lift against the holdout with a plain-words verdict."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kith.marketing.models import CampaignRecipient
from kith.marketing.report import campaign_report
from kith.marketing.services import campaigns
from kith.sales.services.orders import LineInput, order_create
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import make_segment
from tests.sales.factories import make_product


def _order(users, product, contact_id, at, price=2000):
    order_create(
        by=users.admin, contact_id=contact_id, ordered_at=at,
        lines=[LineInput(product_id=product.pk, quantity=1, unit_price_minor=price)],
    )  # fmt: skip


def test_funnel_and_measured_lift(users, template, django_assert_max_num_queries):
    bulk_contacts(users.admin, 300)
    everyone = make_segment(by=users.admin, rules={})
    campaign = campaigns.campaign_create(
        by=users.admin, name="Lift", template_ids=[template.pk], segment_ids=[everyone.pk],
        holdout_percent=50, attribution_days=7,
    )  # fmt: skip
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    campaign.refresh_from_db()
    rows = CampaignRecipient.objects.filter(campaign=campaign).order_by("id")
    treated = [r for r in rows if not r.is_holdout]
    holdout = [r for r in rows if r.is_holdout]
    now = timezone.now()
    CampaignRecipient.objects.filter(pk__in=[r.pk for r in treated]).update(
        state="sent", sent_at=now
    )
    CampaignRecipient.objects.filter(pk__in=[r.pk for r in treated[:60]]).update(opened_at=now)
    CampaignRecipient.objects.filter(pk__in=[r.pk for r in treated[:2]]).update(bounced_at=now)
    product = make_product(by=users.admin)
    buyers_t = treated[::3]  # a third of the treated buy
    buyers_c = holdout[::20]  # a twentieth of the holdout
    for r in buyers_t + buyers_c:
        _order(users, product, r.contact_id, now + timedelta(hours=1))
    _order(users, product, holdout[1].contact_id, now + timedelta(days=30))  # outside the window

    with django_assert_max_num_queries(4):
        report = campaign_report(campaign=campaign)
    a, held = report.rows
    assert (a.group, held.group) == ("A", "holdout")
    assert (a.audience, a.sent, a.delivered, a.opened, a.bounced) == (
        len(treated),
        len(treated),
        len(treated) - 2,
        60,
        2,
    )
    assert (a.converted, held.converted) == (len(buyers_t), len(buyers_c))
    assert a.revenue_minor == 2000 * len(buyers_t)
    assert held.sent == 0
    assert report.currency == "USD"
    assert report.conversion.verdict == "raised"
    expected = len(buyers_t) / len(treated) - len(buyers_c) / len(holdout)
    assert abs(report.conversion.estimate - expected) < 1e-9
    assert report.revenue.verdict == "raised"
    assert "raised the conversion rate" in report.verdict


def test_no_effect_when_the_interval_spans_zero(users, template):
    bulk_contacts(users.admin, 60)
    everyone = make_segment(by=users.admin, rules={})
    campaign = campaigns.campaign_create(
        by=users.admin, name="Flat", template_ids=[template.pk], segment_ids=[everyone.pk],
        holdout_percent=50,
    )  # fmt: skip
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    report = campaign_report(campaign=campaign)
    assert report.conversion.verdict == "no_effect"
    assert report.verdict.startswith("No measurable effect on the conversion rate")
