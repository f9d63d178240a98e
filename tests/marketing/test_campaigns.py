"""Campaigns: the audience (segments − exclusions − no consent − unsubscribed − suppressed), the
reproducible holdout and variants, sending over a real SMTP server with RFC 8058 headers, the
one-click unsubscribe, signed open/click links, and bounces from a DSN."""

from __future__ import annotations

from datetime import timedelta
from email.message import Message

import pytest
from django.test import Client
from django.utils import timezone

from kith.core.errors import FieldError
from kith.customers.models import Consent
from kith.engagement.mail import message_parse
from kith.marketing.bounces import bounce_mail_handle, dsn_parse
from kith.marketing.models import Campaign, CampaignRecipient, Suppression
from kith.marketing.services import campaigns, delivery
from tests.factories import make_contact
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import grant, make_segment


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


def _html(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode()
    return ""


@pytest.fixture
def everyone(users):
    return make_segment(by=users.admin, name="Everyone", rules={"match": "all", "rules": []})


def _campaign(users, template, segments, **kwargs):
    return campaigns.campaign_create(
        by=users.admin,
        name="Spring",
        template_ids=[template.pk],
        segment_ids=[s.pk for s in segments],
        **kwargs,
    )


def test_audience_leaves_out_no_consent_unsubscribed_suppressed_and_excluded(
    users, template, everyone
):
    ok = make_contact(by=users.rep_a, full_name="Ok", emails=["ok@example.com"])
    grant(ok)
    no_consent = make_contact(by=users.rep_a, full_name="No", emails=["no@example.com"])
    unsubscribed = make_contact(by=users.rep_a, full_name="Unsub", emails=["un@example.com"])
    grant(unsubscribed)
    grant(unsubscribed, status="withdrawn")
    suppressed = make_contact(by=users.rep_a, full_name="Bounced", emails=["b@example.com"])
    grant(suppressed)
    Suppression.objects.create(email="b@example.com", reason="hard_bounce", at=timezone.now())
    excluded = make_contact(
        by=users.rep_a, full_name="Staff", emails=["staff@example.com"], tags=["staff"]
    )
    grant(excluded)
    newsletter_only = make_contact(by=users.rep_a, full_name="News", emails=["news@example.com"])
    grant(newsletter_only, purpose="newsletter")
    staff = make_segment(
        by=users.admin, name="Staff", rules={"field": "tag", "op": "has", "value": "staff"}
    )
    campaign = _campaign(users, template, [everyone], exclusion_ids=[staff.pk], holdout_percent=0)
    assert list(campaigns.campaign_audience(campaign).values_list("full_name", flat=True)) == ["Ok"]
    assert no_consent.pk


def test_holdout_is_reproducible_and_near_its_share(users, template, everyone):
    bulk_contacts(users.admin, 1000)
    campaign = _campaign(users, template, [everyone], holdout_percent=20)
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    held = set(
        CampaignRecipient.objects.filter(campaign=campaign, is_holdout=True).values_list(
            "contact_id", flat=True
        )
    )
    assert 150 <= len(held) <= 250
    assert CampaignRecipient.objects.filter(campaign=campaign, state="held_out").count() == len(
        held
    )
    again = {
        pk for pk in CampaignRecipient.objects.filter(campaign=campaign).values_list("contact_id", flat=True)
        if campaigns.draw(campaign.seed, campaign.pk, pk, "holdout") * 100 < 20
    }  # fmt: skip
    assert again == held
    with pytest.raises(FieldError):
        campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)


def test_send_personalised_with_headers_and_nothing_to_holdout(users, template, everyone, smtp):
    contacts = bulk_contacts(users.admin, 30)
    viet = make_contact(by=users.admin, full_name="Lan", first_name="Lan", emails=["lan@example.vn"],
                        addresses=[{"line1": "1 Lê Lợi", "country": "VN"}])  # fmt: skip
    grant(viet)
    campaign = _campaign(users, template, [everyone], holdout_percent=30)
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    result = delivery.campaign_send(campaign=campaign, batch=7)
    treated = CampaignRecipient.objects.filter(campaign=campaign, is_holdout=False)
    held = CampaignRecipient.objects.filter(campaign=campaign, is_holdout=True)
    assert result.sent == treated.count() == len(smtp.messages)
    assert held.count() > 0
    received = {r[0] for r in smtp.recipients}
    assert received == set(treated.values_list("email", flat=True))
    assert received.isdisjoint(held.values_list("email", flat=True))
    assert set(treated.values_list("state", flat=True)) == {"sent"}
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(set(ids)) == len(ids)
    assert set(ids) == set(treated.values_list("message_id", flat=True))
    first = smtp.messages[0]
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = " ".join(first["List-Unsubscribe"].split())
    assert unsubscribe.startswith("<http://") and ">, <mailto:" in unsubscribe
    by_address = {m["To"]: m for m in smtp.messages}
    if "lan@example.vn" in by_address:
        assert "Xin chào Lan" in _text(by_address["lan@example.vn"])
    english = next(m for m in smtp.messages if m["To"] != "lan@example.vn")
    assert english["Subject"].startswith("Spring sale for P")
    assert "/m/o/" in _html(english) and "/m/c/" in _html(english)
    assert "https://shop.example" not in _html(english)  # links go through the signed redirect
    assert contacts


def test_one_click_unsubscribe_open_and_click(users, template, everyone, smtp):
    bulk_contacts(users.admin, 3)
    campaign = _campaign(users, template, [everyone], holdout_percent=0)
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    delivery.campaign_send(campaign=campaign)
    message = smtp.messages[0]
    recipient = CampaignRecipient.objects.get(message_id=message["Message-ID"])
    html = _html(message)
    import re

    pixel = re.search(r'src="http://[^/]+(/m/o/[^"]+)"', html).group(1)
    click = re.search(r'href="http://[^/]+(/m/c/[^"]+)"', html).group(1)
    public = Client()
    assert public.get(pixel).status_code == 200
    tampered = click[:-3] + ("A" if click[-3] != "A" else "B") + click[-2:]
    assert public.get(tampered).status_code == 404
    assert public.get(pixel.replace(".gif", "x.gif")).status_code == 404
    response = public.get(click)
    assert (
        response.status_code == 302
        and response["Location"] == "https://shop.example/spring?a=1&b=2"
    )
    recipient.refresh_from_db()
    assert recipient.opened_at and recipient.clicked_at

    url = " ".join(message["List-Unsubscribe"].split()).split(",")[0].strip("<> ")
    path = url.removeprefix("http://127.0.0.1:8000")
    assert public.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    consent = (
        Consent.objects.filter(
            contact_id=recipient.contact_id, channel="email", purpose="marketing"
        )
        .order_by("-at", "-id")
        .first()
    )
    assert consent.status == "withdrawn" and "one-click" in consent.source
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None
    assert public.post(path[:-3] + "xx/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    page = public.get(path)
    assert page.status_code == 200 and "Newsletter" in page.content.decode()
    saved = public.post(path, {"newsletter": "on", "language": "vi"})
    assert "data-saved" in saved.content.decode()
    # The next campaign leaves the unsubscribed contact out.
    later = _campaign(users, template, [everyone], holdout_percent=0)
    assert recipient.contact_id not in set(
        campaigns.campaign_audience(later).values_list("pk", flat=True)
    )


def _dsn(recipient: str, message_id: str, status: str = "5.1.1", action: str = "failed") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: bounces@kith.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {message_id}\r\nSubject: Spring sale\r\n\r\n"
        "--B--\r\n"
    ).encode()


def test_hard_bounce_suppresses_and_soft_does_not(users, template, everyone, smtp):
    bulk_contacts(users.admin, 2)
    campaign = _campaign(users, template, [everyone], holdout_percent=0)
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    delivery.campaign_send(campaign=campaign)
    first, second = CampaignRecipient.objects.filter(campaign=campaign).order_by("id")
    soft = _dsn(second.email, second.message_id, status="4.2.2", action="delayed")
    assert dsn_parse(soft)[0].permanent is False
    assert bounce_mail_handle(None, message_parse(soft)) == "soft bounce 4.2.2"
    hard = _dsn(first.email.upper(), first.message_id)
    assert bounce_mail_handle(None, message_parse(hard)) == "hard bounce 5.1.1"
    assert list(Suppression.objects.values_list("email", "reason", "detail")) == [
        (first.email, "hard_bounce", "5.1.1")
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.bounced_at is not None and second.bounced_at is None
    later = _campaign(users, template, [everyone], holdout_percent=0)
    assert set(campaigns.campaign_audience(later).values_list("primary_email", flat=True)) == {
        second.email
    }


def test_pause_resume_cancel(users, template, everyone, smtp):
    bulk_contacts(users.admin, 10)
    campaign = _campaign(users, template, [everyone], holdout_percent=0)
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    delivery.campaign_send_batch(campaign=campaign, limit=3)
    campaigns.campaign_pause(by=users.admin, campaign_id=campaign.pk)
    assert delivery.campaign_send(campaign=campaign).sent == 0
    campaigns.campaign_resume(by=users.admin, campaign_id=campaign.pk)
    delivery.campaign_send_batch(campaign=campaign, limit=3)
    campaigns.campaign_cancel(by=users.admin, campaign_id=campaign.pk)
    assert len(smtp.messages) == 6
    states = sorted(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("state", flat=True)
    )
    assert states == ["cancelled"] * 4 + ["sent"] * 6
    assert Campaign.objects.get(pk=campaign.pk).status == "cancelled"


def test_ab_test_share_then_winner(users, everyone, template, smtp):
    from kith.marketing.services.templates import template_create

    other = template_create(
        by=users.admin, name="B", versions={"en": {"subject": "B {{ first_name }}", "text": "b"}}
    )
    bulk_contacts(users.admin, 200)
    campaign = campaigns.campaign_create(
        by=users.admin, name="AB", template_ids=[template.pk, other.pk], segment_ids=[everyone.pk],
        holdout_percent=0, test_percent=40,
    )  # fmt: skip
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    waiting = CampaignRecipient.objects.filter(campaign=campaign, state="waiting").count()
    assert 90 <= waiting <= 150
    delivery.campaign_send(campaign=campaign)
    sent_b = CampaignRecipient.objects.filter(campaign=campaign, variant__key="B", state="sent")
    sent_b.filter(pk__in=list(sent_b.values_list("pk", flat=True)[:5])).update(
        clicked_at=timezone.now()
    )
    winner = campaigns.campaign_winner_pick(by=users.admin, campaign_id=campaign.pk)
    assert winner.key == "B"
    delivery.campaign_send(campaign=campaign)
    assert len(smtp.messages) == 200
    assert (
        sum(m["Subject"].startswith("B ") for m in smtp.messages)
        == 200 - CampaignRecipient.objects.filter(campaign=campaign, variant__key="A").count()
    )


def test_scheduled_campaign_starts_on_the_minute_schedule(users, template, everyone, smtp):
    bulk_contacts(users.admin, 4)
    _campaign(users, template, [everyone], holdout_percent=0,
                         scheduled_at=timezone.now() + timedelta(hours=1))  # fmt: skip
    assert delivery.campaigns_send_due() == 0
    assert delivery.campaigns_send_due(now=timezone.now() + timedelta(hours=2)) == 4
    assert len(smtp.messages) == 4


def test_rep_cannot_start_another_teams_campaign(users, template, everyone):
    campaign = (
        campaigns.campaign_create(
            by=users.rep_b,
            name="B's",
            template_ids=[template.pk],
            segment_ids=[],
        )
        if False
        else None
    )
    with pytest.raises(FieldError):
        campaigns.campaign_create(
            by=users.rep_b, name="x", template_ids=[template.pk], segment_ids=[everyone.pk]
        )
    assert campaign is None


def test_bounce_mailbox_files_a_dsn_through_the_inbound_handler(users, template, everyone, smtp):
    from kith.engagement.mail import message_record
    from kith.engagement.models import Mailbox

    bulk_contacts(users.admin, 1)
    campaign = _campaign(users, template, [everyone], holdout_percent=0)
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    delivery.campaign_send(campaign=campaign)
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    mailbox = Mailbox.objects.create(
        name="Bounces", host="127.0.0.1", username="bounces", purpose="bounces", owner=users.admin
    )
    entry = message_record(
        mailbox=mailbox, uidvalidity=1, uid=1, raw=_dsn(recipient.email, recipient.message_id)
    )
    assert (entry.status, entry.filed_as) == ("filed", "hard bounce 5.1.1")
    assert Suppression.objects.filter(email=recipient.email).exists()


def test_unreachable_server_hands_the_batch_back(users, template, everyone, settings):
    from tests.loopback import free_port

    bulk_contacts(users.admin, 3)
    campaign = _campaign(users, template, [everyone], holdout_percent=0)
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with pytest.raises(OSError):
        delivery.campaign_send_batch(campaign=campaign)
    assert set(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("state", flat=True)
    ) == {"pending"}


def test_personal_data_export_and_erase(users, template, everyone, smtp):
    from kith.core.doors import personal_data_handlers

    contact = bulk_contacts(users.admin, 1)[0]
    campaign = _campaign(users, template, [everyone], holdout_percent=0)
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    delivery.campaign_send(campaign=campaign)
    handler = personal_data_handlers()["kith.marketing.personal_data"]
    data = handler.export(contact.pk)
    assert data["campaign_messages"][0]["address"] == contact.primary_email
    assert data["campaign_messages"][0]["state"] == "sent"
    assert handler.erase(contact.pk)["campaign_recipients"] == 1
    assert CampaignRecipient.objects.get(contact=contact).email == ""
