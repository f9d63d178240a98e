"""First-touch and last-touch attribution: an order after two campaigns counts once in each
model, for the first campaign under first touch and the last one under last touch."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kith.marketing.attribution import touch_attribution
from kith.marketing.models import CampaignRecipient
from kith.marketing.services import campaigns, delivery
from tests.factories import make_contact
from tests.marketing.factories import buy, grant, make_segment


def test_first_and_last_touch(users, template, smtp):
    buyer = make_contact(by=users.admin, full_name="Buyer", emails=["buyer@example.com"])
    grant(buyer)
    segment = make_segment(by=users.admin, rules={})
    sent = []
    for name, days_ago in (("First", 6), ("Second", 2)):
        campaign = campaigns.campaign_create(
            by=users.admin, name=name, template_ids=[template.pk], segment_ids=[segment.pk],
            holdout_percent=0, attribution_days=7,
        )  # fmt: skip
        campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
        delivery.campaign_send(campaign=campaign)
        CampaignRecipient.objects.filter(campaign=campaign).update(
            sent_at=timezone.now() - timedelta(days=days_ago)
        )
        sent.append(campaign)
    buy(by=users.admin, contact=buyer, price_minor=4200, days_ago=1)
    buy(by=users.admin, contact=buyer, price_minor=1000, days_ago=30)  # before any touch
    first, second = (touch_attribution(campaign=c) for c in sent)
    assert (first.first_orders, first.first_revenue_minor, first.last_orders) == (1, 4200, 0)
    assert (second.first_orders, second.last_orders, second.last_revenue_minor) == (0, 1, 4200)


def test_campaign_page_shows_the_touch_models(users, template, smtp, client):
    campaign = campaigns.campaign_create(
        by=users.admin, name="Shown", template_ids=[template.pk],
        segment_ids=[make_segment(by=users.admin, rules={}).pk],
    )  # fmt: skip
    client.force_login(users.admin)
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200 and b"data-touch" in page.content
