"""Email in against a loopback IMAP server: filing, threading, leads, idempotence, unfiled."""

from __future__ import annotations

import pytest

from kith.customers.models import Contact
from kith.engagement.mail import mailbox_fetch
from kith.engagement.models import Interaction, MailMessage
from tests.engagement.factories import make_mailbox, raw_email
from tests.engagement.imap_server import ImapServer
from tests.factories import make_contact


@pytest.fixture
def imap():
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def lan(users):
    return make_contact(by=users.rep_a, full_name="Lan Pham", emails=["lan@example.com"])


def test_files_message_on_the_senders_and_ccs_timelines(imap, users, lan):
    wei = make_contact(by=users.rep_a, full_name="Wang Wei", emails=["wei@example.com"])
    mailbox = make_mailbox(server=imap, owner=users.rep_a)
    imap.add(raw_email(message_id="m1@example.com", cc="Wei <WEI@example.com>"))

    result = mailbox_fetch(mailbox=mailbox)

    assert (result.seen, result.filed, result.unfiled, result.errors) == (1, 1, 0, [])
    rows = Interaction.objects.order_by("contact_id")
    assert [(i.contact_id, i.kind, i.direction, i.subject, i.message_id) for i in rows] == [
        (lan.pk, "email", "in", "Quote please", "m1@example.com"),
        (wei.pk, "email", "in", "Quote please", "m1@example.com"),
    ]
    assert rows[0].body.strip() == "Hello, can you send a quote?"
    assert rows[0].owner_id == users.rep_a.pk
    entry = MailMessage.objects.get()
    assert (entry.uid, entry.uidvalidity, entry.status, entry.filed_as) == (
        1, 1000, "filed", "2 contacts",
    )  # fmt: skip
    mailbox.refresh_from_db()
    assert (mailbox.uidvalidity, mailbox.last_uid, mailbox.last_error) == (1000, 1, "")


def test_fetching_twice_doubles_nothing(imap, users, lan):
    mailbox = make_mailbox(server=imap, owner=users.rep_a)
    imap.add(raw_email(message_id="m1@example.com"))
    imap.add(raw_email(message_id="m2@example.com", subject="Second"))
    first = mailbox_fetch(mailbox=mailbox)
    second = mailbox_fetch(mailbox=mailbox)
    # Even a forgotten position (a crash before saving it) refiles nothing.
    mailbox.last_uid = 0
    mailbox.save()
    third = mailbox_fetch(mailbox=mailbox)

    assert (first.seen, second.seen, third.seen) == (2, 0, 2)
    assert Interaction.objects.count() == 2
    assert MailMessage.objects.count() == 2


def test_new_uidvalidity_rereads_but_marks_duplicates(imap, users, lan):
    mailbox = make_mailbox(server=imap, owner=users.rep_a)
    imap.add(raw_email(message_id="m1@example.com"))
    mailbox_fetch(mailbox=mailbox)
    imap.reset_uidvalidity(2000)
    imap.add(raw_email(message_id="m2@example.com", subject="New"))

    result = mailbox_fetch(mailbox=mailbox)

    assert (result.seen, result.filed, result.duplicate) == (2, 1, 1)
    assert sorted(Interaction.objects.values_list("subject", flat=True)) == ["New", "Quote please"]
    assert MailMessage.objects.filter(status="duplicate").get().message_id == "m1@example.com"


def test_malformed_and_unknown_messages_are_kept_unfiled_with_a_reason(imap, users, lan):
    mailbox = make_mailbox(server=imap, owner=users.rep_a)
    imap.add(b"this is not an email at all\r\n")
    imap.add(raw_email(message_id="m3@example.com", from_="stranger@nowhere.test"))
    imap.add(raw_email(message_id="m4@example.com"))

    result = mailbox_fetch(mailbox=mailbox)

    assert (result.seen, result.filed, result.unfiled) == (3, 1, 2)
    unfiled = {m.uid: m for m in MailMessage.objects.filter(status="unfiled")}
    assert unfiled[1].reason == "The message has no sender address."
    assert bytes(unfiled[1].raw).startswith(b"this is not an email")
    assert unfiled[2].reason == "No contact has any of these addresses."
    assert unfiled[2].from_address == "stranger@nowhere.test"
    assert mailbox_fetch(mailbox=mailbox).seen == 0


def test_unknown_sender_becomes_a_lead_when_the_mailbox_says_so(imap, users, lan):
    # Sales registers the lead maker (engagement, a lower layer, cannot import sales).
    from kith.sales.models import Lead

    mailbox = make_mailbox(server=imap, owner=users.rep_a, create_leads_for_unknown=True)
    imap.add(raw_email(message_id="m5@example.com", from_="Trần Minh <minh@example.vn>"))
    imap.add(raw_email(message_id="m6@example.com", from_="Trần Minh <minh@example.vn>"))
    imap.add(raw_email(message_id="m7@example.com", from_="Lan Pham <lan@example.com>"))

    result = mailbox_fetch(mailbox=mailbox)
    mailbox_fetch(mailbox=mailbox)

    assert (result.filed, result.unfiled) == (3, 0)
    lead = Lead.objects.get()  # one lead for two messages of the same sender
    assert (lead.full_name, lead.email, lead.source_channel, lead.owner_id, lead.status) == (
        "Trần Minh", "minh@example.vn", "email", users.rep_a.pk, "new",
    )  # fmt: skip
    on_lead = Interaction.objects.filter(record_model="sales.lead", record_id=lead.pk)
    assert sorted(on_lead.values_list("message_id", flat=True)) == [
        "m5@example.com", "m6@example.com",
    ]  # fmt: skip
    assert not Contact.objects.filter(full_name="Trần Minh").exists()
    # A known sender is filed on the contact, no lead made.
    assert Interaction.objects.get(message_id="m7@example.com").contact_id == lan.pk
    assert MailMessage.objects.get(message_id="m5@example.com").filed_as == (
        f"0 contacts, lead #{lead.pk}"
    )


def test_unknown_sender_without_lead_rights_is_kept_unfiled(imap, users):
    from kith.identity.access import MODULES
    from kith.identity.models import Role, RoleGrant, Scope
    from kith.identity.services import user_create
    from tests.conftest import PASSWORD

    reader = Role.objects.create(slug="reader", name="Reader")
    RoleGrant.objects.bulk_create(
        RoleGrant(role=reader, module=m, scope=Scope.ALL, can_read=True) for m in MODULES
    )
    clerk = user_create(username="clerk", password=PASSWORD, role_slug="reader")
    mailbox = make_mailbox(server=imap, owner=clerk, create_leads_for_unknown=True)
    imap.add(raw_email(message_id="m8@example.com", from_="Minh <minh@example.vn>"))

    assert mailbox_fetch(mailbox=mailbox).unfiled == 1
    entry = MailMessage.objects.get()
    assert entry.status == "unfiled"
    assert entry.reason.startswith("No lead could be made")


def test_replies_join_their_thread(imap, users, lan):
    mailbox = make_mailbox(server=imap, owner=users.rep_a)
    imap.add(raw_email(message_id="root@example.com"))
    imap.add(
        raw_email(
            message_id="reply@kith.test",
            from_="inbox@kith.test",
            to="lan@example.com",
            subject="Re: Quote please",
            in_reply_to="root@example.com",
            references="<root@example.com>",
        )
    )
    mailbox_fetch(mailbox=mailbox)
    reply = Interaction.objects.get(message_id="reply@kith.test")
    assert (reply.thread_key, reply.in_reply_to, reply.direction) == (
        "root@example.com", "root@example.com", "out",
    )  # fmt: skip


def test_wrong_password_is_recorded_and_nothing_is_lost(imap, users, lan):
    mailbox = make_mailbox(server=imap, owner=users.rep_a)
    mailbox.password = "wrong"
    mailbox.save()
    imap.add(raw_email(message_id="m1@example.com"))
    result = mailbox_fetch(mailbox=mailbox)
    mailbox.refresh_from_db()
    assert result.seen == 0
    assert "invalid credentials" in mailbox.last_error
    assert mailbox.last_uid == 0


def test_mailbox_settings_page_unfiled_inbox_and_try_again(imap, users, web_for, monkeypatch):
    from django.urls import reverse

    from kith.engagement.models import Mailbox

    monkeypatch.setenv("KITH_MAIL_TEST", imap.password)
    admin = web_for(users.admin)
    form = {
        "name": "Sales inbox", "purpose": "timeline", "host": imap.host, "port": str(imap.port),
        "username": imap.username, "password_env": "KITH_MAIL_TEST", "folder": "INBOX",
        "owner_id": str(users.rep_a.pk), "is_active": "on",
    }  # fmt: skip
    bad = admin.post(reverse("mailbox-create"), {**form, "password_env": "my password"})
    assert bad.status_code == 200
    assert "Name an environment variable" in bad.content.decode()
    assert admin.post(reverse("mailbox-create"), form).status_code == 302
    mailbox = Mailbox.objects.get()
    assert (mailbox.owner_id, mailbox.use_ssl, mailbox.password, mailbox.secret()) == (
        users.rep_a.pk, False, "", imap.password,
    )  # fmt: skip
    # Others do not see the settings or the unfiled inbox.
    rep = web_for(users.rep_a)
    assert rep.get(reverse("mailbox-list")).status_code == 404
    assert rep.get(reverse("mailbox-edit", args=[mailbox.pk])).status_code == 404

    imap.add(raw_email(message_id="m9@example.com", from_="Minh <minh@example.vn>"))
    assert mailbox_fetch(mailbox=mailbox).unfiled == 1
    listing = admin.get(reverse("mailbox-list")).content.decode()
    assert 'data-mailbox="Sales inbox"' in listing
    page = admin.get(reverse("mail-unfiled")).content.decode()
    assert "minh@example.vn" in page and "No contact has any of these addresses." in page
    entry = MailMessage.objects.get()
    refile = reverse("mail-refile", args=[entry.pk])
    assert rep.post(refile).status_code == 404
    admin.post(refile)  # still nobody with that address
    assert MailMessage.objects.get().status == "unfiled"
    minh = make_contact(by=users.rep_a, full_name="Trần Minh", emails=["minh@example.vn"])
    assert admin.post(refile).status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.reason, bytes(entry.raw)) == ("filed", "", b"")
    assert Interaction.objects.get(message_id="m9@example.com").contact_id == minh.pk
    assert admin.post(refile).status_code == 404  # filed messages are not filed twice
    # Editing the account starts the folder over; the ledger keeps it from doubling.
    admin.post(reverse("mailbox-edit", args=[mailbox.pk]), {**form, "folder": "Archive"})
    mailbox.refresh_from_db()
    assert (mailbox.folder, mailbox.last_uid, mailbox.uidvalidity) == ("Archive", 0, None)
