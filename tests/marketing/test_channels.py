"""SMS campaigns through the provider interface, against a loopback HTTP provider: only contacts
with SMS consent and a phone get a message, once, keyed by their Message-ID."""

from __future__ import annotations

import pytest

from kith.core.errors import FieldError
from kith.marketing.models import CampaignRecipient
from kith.marketing.services import campaigns, delivery
from kith.marketing.services.templates import template_create
from tests.factories import make_contact
from tests.loopback import HttpReceiver
from tests.marketing.factories import grant, make_segment


@pytest.fixture
def provider(settings):
    receiver = HttpReceiver()
    settings.KITH_MARKETING_SMS_PROVIDER, settings.KITH_MARKETING_SMS_URL = "http", receiver.url
    yield receiver
    receiver.stop()


def test_sms_campaign_goes_through_the_provider(users, provider, smtp):
    texted = make_contact(
        by=users.admin, full_name="Lan", first_name="Lan", phones=["+84 90 123 4567"]
    )
    grant(texted, channel="sms")
    email_only = make_contact(
        by=users.admin, full_name="Mai", emails=["mai@example.com"], phones=["+84 90 765 4321"]
    )
    grant(email_only)
    no_phone = make_contact(by=users.admin, full_name="Bo", emails=["bo@example.com"])
    grant(no_phone, channel="sms")
    template = template_create(
        by=users.admin,
        name="SMS",
        versions={"en": {"subject": "-", "text": "Hi {{ first_name }}, sale today"}},
    )
    segment = make_segment(by=users.admin, rules={})
    campaign = campaigns.campaign_create(
        by=users.admin, name="SMS", channel="sms", template_ids=[template.pk],
        segment_ids=[segment.pk], holdout_percent=0,
    )  # fmt: skip
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    assert delivery.campaign_send(campaign=campaign).sent == 1
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    assert [p.json() for p in provider.requests] == [
        {"to": "+84901234567", "text": "Hi Lan, sale today", "reference": recipient.message_id}
    ]
    assert provider.requests[0].headers["idempotency-key"] == recipient.message_id
    assert recipient.state == "sent" and smtp.messages == []
    with pytest.raises(FieldError):
        campaigns.campaign_create(
            by=users.admin,
            name="x",
            channel="pigeon",
            template_ids=[template.pk],
            segment_ids=[segment.pk],
        )


def test_channel_by_segment_report(users, api_for, provider, smtp):
    from datetime import timedelta

    from django.utils import timezone

    from kith.marketing.services.segments import segment_refresh
    from tests.marketing.factories import buy

    vip = make_contact(by=users.admin, full_name="Vip", first_name="V", emails=["v@example.com"],
                       phones=["+84 90 111 2222"], tags=["vip"])  # fmt: skip
    other = make_contact(
        by=users.admin, full_name="Other", emails=["o@example.com"], phones=["+84 90 333 4444"]
    )
    for person in (vip, other):
        grant(person)
        grant(person, channel="sms")
    vips = make_segment(
        by=users.admin, name="VIPs", rules={"field": "tag", "op": "has", "value": "vip"}
    )
    segment_refresh(segment=vips)
    everyone = make_segment(by=users.admin, name="All", rules={})
    template = template_create(
        by=users.admin, name="T", versions={"en": {"subject": "s", "text": "t"}}
    )
    for channel in ("email", "sms"):
        campaign = campaigns.campaign_create(
            by=users.admin, name=channel, channel=channel, template_ids=[template.pk],
            segment_ids=[everyone.pk], holdout_percent=0,
        )  # fmt: skip
        campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
        delivery.campaign_send(campaign=campaign)
    CampaignRecipient.objects.filter(campaign__channel="email", contact=vip).update(
        clicked_at=timezone.now()
    )
    buy(by=users.admin, contact=vip, days_ago=0)
    rows = {
        (r["channel"], r["segment"]): r
        for r in api_for(users.admin).get("/api/v1/channel-report").json()
    }
    assert rows[("email", "")]["sent"] == 2 and rows[("email", "VIPs")]["sent"] == 1
    assert (
        rows[("email", "VIPs")]["clicked"] == 1
        and rows[("email", "VIPs")]["conversion_rate"] == 1.0
    )
    assert rows[("sms", "")]["sent"] == 2 and rows[("sms", "")]["converted"] == 1
    assert timedelta
