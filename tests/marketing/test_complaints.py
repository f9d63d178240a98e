"""Feedback-loop complaints (ARF, RFC 5965) in the bounce mailbox suppress the address and
unsubscribe the recipient."""

from __future__ import annotations

from kith.customers.models import Consent
from kith.engagement.mail import message_parse
from kith.marketing.bounces import arf_parse, bounce_mail_handle
from kith.marketing.models import CampaignRecipient, Suppression
from kith.marketing.services import campaigns, delivery
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import make_segment


def _arf(message_id: str, rcpt: str = "") -> bytes:
    rcpt_line = f"Original-Rcpt-To: {rcpt}\r\n" if rcpt else ""
    return (
        "From: fbl@isp.example\r\nTo: bounces@kith.example\r\nSubject: complaint\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
        "--b\r\nContent-Type: message/feedback-report\r\n\r\n"
        f"Feedback-Type: abuse\r\nUser-Agent: isp-fbl/1.0\r\nVersion: 1\r\n{rcpt_line}"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: shop@kith.example\r\nTo: redacted@isp.example\r\nMessage-ID: {message_id}\r\n"
        "Subject: Spring sale\r\n\r\n--b--\r\n"
    ).encode()


def test_complaint_suppresses_and_unsubscribes(users, template, smtp):
    everyone = make_segment(by=users.admin, rules={})
    bulk_contacts(users.admin, 3)
    campaign = campaigns.campaign_create(
        by=users.admin, name="C", template_ids=[template.pk], segment_ids=[everyone.pk],
        holdout_percent=0,
    )  # fmt: skip
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    delivery.campaign_send(campaign=campaign)
    first, second = CampaignRecipient.objects.filter(campaign=campaign).order_by("id")[:2]
    # A redacted report: only the Message-ID ties it to the recipient.
    parsed = arf_parse(_arf(first.message_id))
    assert (
        parsed is not None
        and parsed.feedback_type == "abuse"
        and parsed.recipient == "redacted@isp.example"
    )
    assert bounce_mail_handle(None, message_parse(_arf(first.message_id))) == "complaint (abuse)"
    assert Suppression.objects.get(email=first.email).reason == "complaint"
    assert not Suppression.objects.filter(email="redacted@isp.example").exists()
    first.refresh_from_db()
    assert first.unsubscribed_at is not None
    newest = Consent.objects.filter(contact=first.contact, channel="email").order_by("-at", "-id")
    assert newest.first().status == "withdrawn"
    bounce_mail_handle(None, message_parse(_arf("<unknown@x>", rcpt=second.email.upper())))
    assert Suppression.objects.filter(email=second.email, reason="complaint").exists()
    assert arf_parse(b"From: a@b\r\nSubject: hi\r\n\r\nhello") is None
