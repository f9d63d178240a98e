"""API v1 for mailbox settings and unfiled mail: administrators only, errors by field, refile."""

from __future__ import annotations

from kith.customers import services as customer_services
from kith.engagement.mail import message_record
from kith.engagement.models import Interaction, Mailbox, MailMessage

RAW = (
    b"From: Lan <lan.customer@example.vn>\r\nTo: sales@kith.test\r\n"
    b"Subject: Bao gia\r\nMessage-ID: <m1@example.vn>\r\n\r\nXin chao\r\n"
)


def test_admin_sets_up_and_changes_a_mailbox(api_for, users):
    admin = api_for(users.admin)
    created = admin.post(
        "/api/v1/mailboxes",
        {
            "name": "Sales",
            "host": "imap.example.com",
            "username": "sales",
            "password_env": "SALES_PW",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["port"], body["folder"], body["owner"]["id"]) == (993, "INBOX", users.admin.pk)
    assert "password" not in body
    mailbox_id = body["id"]

    bad = admin.patch(
        f"/api/v1/mailboxes/{mailbox_id}", {"port": 0, "password_env": "not a name"},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"port", "password_env"}
    assert Mailbox.objects.get().port == 993  # nothing half-written

    changed = admin.patch(
        f"/api/v1/mailboxes/{mailbox_id}", {"folder": "Leads", "create_leads_for_unknown": True},
        content_type="application/json",
    )  # fmt: skip
    assert changed.status_code == 200
    assert (changed.json()["folder"], changed.json()["create_leads_for_unknown"]) == ("Leads", True)
    assert [m["name"] for m in admin.get("/api/v1/mailboxes").json()] == ["Sales"]


def test_a_rep_neither_sees_nor_changes_mailboxes_or_unfiled_mail(api_for, users):
    mailbox = Mailbox.objects.create(name="Sales", host="h", username="u", owner=users.admin)
    message_record(mailbox=mailbox, uidvalidity=1, uid=1, raw=RAW)
    entry = MailMessage.objects.get()
    rep = api_for(users.rep_a)
    assert rep.get("/api/v1/mailboxes").json() == []
    assert (
        rep.patch(
            f"/api/v1/mailboxes/{mailbox.pk}", {"folder": "X"}, content_type="application/json"
        ).status_code
        == 404
    )
    refused = rep.post(
        "/api/v1/mailboxes", {"name": "Mine", "host": "h", "username": "u"},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 422
    assert Mailbox.objects.count() == 1
    assert rep.get("/api/v1/mail/unfiled").json()["items"] == []
    assert rep.post(f"/api/v1/mail/unfiled/{entry.pk}/refile").status_code == 404


def test_unfiled_mail_is_listed_with_its_reason_and_refiled_once_the_contact_exists(api_for, users):
    mailbox = Mailbox.objects.create(name="Sales", host="h", username="u", owner=users.admin)
    message_record(mailbox=mailbox, uidvalidity=1, uid=1, raw=RAW)
    admin = api_for(users.admin)
    (item,) = admin.get("/api/v1/mail/unfiled").json()["items"]
    assert (item["mailbox"], item["from_address"], item["status"]) == (
        "Sales", "lan.customer@example.vn", "unfiled",
    )  # fmt: skip
    assert item["reason"]

    still = admin.post(f"/api/v1/mail/unfiled/{item['id']}/refile").json()
    assert (still["status"], still["reason"]) == ("unfiled", item["reason"])

    lan = customer_services.contact_create(
        by=users.admin, full_name="Lan", emails=["lan.customer@example.vn"]
    )
    filed = admin.post(f"/api/v1/mail/unfiled/{item['id']}/refile").json()
    assert (filed["status"], filed["reason"]) == ("filed", "")
    assert Interaction.objects.get().contact_id == lan.pk
    assert admin.get("/api/v1/mail/unfiled").json()["items"] == []
