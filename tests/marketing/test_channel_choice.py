"""Preferred channel per contact (learned from answers, within consents) and campaigns that send
each recipient on their best channel, including chat through the webhook adapter (a loopback
HTTP bridge)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.utils import timezone

from kith.customers.models import ContactPoint
from kith.marketing.models import CampaignRecipient
from kith.marketing.preferred import preferred_channels
from kith.marketing.services import campaigns, delivery
from kith.marketing.services.templates import template_create
from tests.factories import make_contact
from tests.loopback import HttpReceiver
from tests.marketing.factories import grant, make_segment


@pytest.fixture
def bridges(settings, monkeypatch):
    sms, chat = HttpReceiver(), HttpReceiver()
    settings.KITH_MARKETING_SMS_PROVIDER, settings.KITH_MARKETING_SMS_URL = "http", sms.url
    settings.KITH_MARKETING_CHAT_PROVIDER, settings.KITH_MARKETING_CHAT_URL = "webhook", chat.url
    settings.KITH_MARKETING_CHAT_TOKEN_ENV = "KITH_TEST_CHAT_TOKEN"
    monkeypatch.setenv("KITH_TEST_CHAT_TOKEN", "bridge-secret")
    yield sms, chat
    sms.stop()
    chat.stop()


def _history(campaign, contact, channel: str, *, sent: int, answered: int) -> None:
    now = timezone.now() - timedelta(days=5)
    CampaignRecipient.objects.bulk_create(
        [
            CampaignRecipient(
                campaign=campaign, contact=contact, email="x", channel=channel, state="sent",
                message_id=f"<h.{contact.pk}.{channel}.{n}@t>", sent_at=now,
                opened_at=now if n < answered else None,
            )
            for n in range(sent)
        ]
    )  # fmt: skip


def test_preferred_channel_follows_answers_within_consents(users):
    texter = make_contact(by=users.admin, full_name="Texter")
    mailer = make_contact(by=users.admin, full_name="Mailer")
    fresh = make_contact(by=users.admin, full_name="Fresh")
    history = [(texter, "email", False), (texter, "sms", True), (mailer, "email", True)]
    for n, (contact, channel, answered) in enumerate(history):
        campaign = campaigns.campaign_create(
            by=users.admin, name=f"Old {n}", template_ids=[_template(users, f"t{n}").pk],
            segment_ids=[make_segment(by=users.admin, rules={}, name=f"s{n}").pk],
        )  # fmt: skip
        _history(campaign, contact, channel, sent=1, answered=int(answered))
    rates = {"email": 0.2, "sms": 0.1, "chat": 0.05}
    choices = preferred_channels(
        {texter.pk: ["email", "sms"], mailer.pk: ["email", "sms"], fresh.pk: ["sms", "chat"]},
        rates=rates,
    )
    assert choices[texter.pk].channel == "sms"  # 1 of 1 on SMS beats 0 of 1 by email
    assert choices[texter.pk].reason.startswith("sms: 1 of 1 answered")
    assert choices[mailer.pk].channel == "email"
    assert choices[fresh.pk].channel == "sms"  # no history: the better prior of its channels
    assert round(choices[fresh.pk].rate, 3) == 0.1
    only_chat = preferred_channels({texter.pk: ["chat"]}, rates=rates)
    assert only_chat[texter.pk].channel == "chat"  # never a channel without consent


def _template(users, name: str = "Multi"):
    return template_create(
        by=users.admin, name=name,
        versions={"en": {"subject": "Hi {{ first_name }}", "text": "Hi {{ first_name }}!"}},
    )  # fmt: skip


def test_best_channel_campaign_sends_each_recipient_once_on_their_channel(users, bridges, smtp):
    sms, chat = bridges
    by_mail = make_contact(by=users.admin, full_name="A", first_name="A", emails=["a@example.com"])
    grant(by_mail)
    by_sms = make_contact(by=users.admin, full_name="B", first_name="B", phones=["+84 90 123 4567"])
    grant(by_sms, channel="sms")
    by_chat = make_contact(by=users.admin, full_name="C", first_name="C")
    ContactPoint.objects.create(contact=by_chat, kind="social", value="zalo:c-123", is_primary=True)
    grant(by_chat, channel="messaging")
    nobody = make_contact(by=users.admin, full_name="D", emails=["d@example.com"])  # no consent
    campaign = campaigns.campaign_create(
        by=users.admin, name="Best", channel="best", template_ids=[_template(users).pk],
        segment_ids=[make_segment(by=users.admin, rules={}).pk], holdout_percent=0,
    )  # fmt: skip
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    rows = dict(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("contact_id", "channel")
    )
    assert rows == {by_mail.pk: "email", by_sms.pk: "sms", by_chat.pk: "chat"}
    assert nobody.pk not in rows
    assert delivery.campaign_send(campaign=campaign).sent == 3
    assert delivery.campaign_send(campaign=campaign).sent == 0  # nothing twice
    assert [m["To"] for m in smtp.messages] == ["a@example.com"]
    assert [r.json()["to"] for r in sms.requests] == ["+84901234567"]
    [message] = chat.requests
    assert message.json() == {
        "channel": "chat", "to": "zalo:c-123", "text": "Hi C!",
        "reference": CampaignRecipient.objects.get(campaign=campaign, contact=by_chat).message_id,
    }  # fmt: skip
    expected = hmac.new(b"bridge-secret", message.body, hashlib.sha256).hexdigest()
    assert message.headers["x-kith-signature"] == f"sha256={expected}"
