"""The personal-data parts of feedback (sentiment scores), marketing (suppressions) and
automation (inbound bodies, run logs), and a lead that never became a contact: exported and
erased from the API, the CLI and the page; each answer lands in the privacy request log."""

from __future__ import annotations

import io
import json
import zipfile

from django.utils import timezone
from typer.testing import CliRunner

from kith.automation.models import InboundBody
from kith.automation.services.inbound import inbound_receive, inbound_source_create
from kith.cli.app import app
from kith.customers.models import Contact
from kith.engagement import services as engagement
from kith.feedback.models import TextSentiment
from kith.feedback.services.sentiment import interaction_sentiment_score
from kith.intake.models import PrivacyRequest
from kith.intake.privacy import personal_data_erase, personal_data_export
from kith.marketing.models import Suppression
from kith.sales import services as sales
from kith.sales.models import Lead
from tests.factories import make_contact
from tests.intake.test_privacy import _found

LEAD_NAME = "Trần Văn Khoa"
LEAD_EMAIL = "khoa.tran@example.vn"


def _parts(body: bytes) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(body))
    return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def test_sentiment_scores_and_suppressions_are_exported_and_erased(users):
    people = [
        make_contact(by=users.rep_a, full_name=f"Person {n}", emails=[f"p{n}@example.vn"])
        for n in (1, 2)
    ]
    for person in people:
        email = Contact.objects.get(pk=person.pk).primary_email
        Suppression.objects.create(email=email, reason="hard_bounce", detail="5.1.1",
                                   at=timezone.now())  # fmt: skip
    note = engagement.interaction_create(
        by=users.rep_a, kind="email", direction="in", contact=people[0].pk,
        subject="Thanks", body="Wonderful service, thank you so much, I love it",
    )  # fmt: skip
    interaction_sentiment_score(interaction_id=note.pk)
    assert TextSentiment.objects.filter(contact=people[0]).count() == 1
    parts = _parts(personal_data_export(by=users.admin, contact_id=people[0].pk))
    assert len(parts["kith.feedback.personal_data.json"]["sentiments"]) == 1
    assert parts["kith.marketing.personal_data.json"]["suppressions"][0]["address"] == (
        "p1@example.vn"
    )
    # Two erased people with suppressions: the unique address column holds two hashes.
    for person in people:
        counts = personal_data_erase(by=users.admin, contact_id=person.pk)
        assert counts["marketing.suppressions"] == 1
    assert counts.get("feedback.sentiments", 0) == 0
    assert _found("p1@example.vn") == [] and _found("p2@example.vn") == []
    assert sorted(Suppression.objects.values_list("reason", flat=True)) == ["hard_bounce"] * 2
    sentiment = TextSentiment.objects.get()  # the score stays in the trends, anonymous
    assert (sentiment.contact_id, sentiment.drivers) == (None, [])


def _inbound_lead(users) -> Lead:
    source = inbound_source_create(
        by=users.admin, name="Site form", target="lead",
        mapping={"full_name": "customer.name", "email": "customer.email", "message": "note"},
    )  # fmt: skip
    raw = json.dumps({"customer": {"name": LEAD_NAME, "email": LEAD_EMAIL},
                      "note": f"Please call {LEAD_NAME}"}).encode()  # fmt: skip
    assert inbound_receive(token=source.token, raw=raw).status == 201
    return Lead.objects.get(full_name=LEAD_NAME)


def test_a_lead_is_exported_and_erased_from_api_cli_and_page(users, api_for, web_for, tmp_path):
    lead = _inbound_lead(users)
    engagement.comment_create(by=users.admin, record_model="sales.lead", record_id=lead.pk,
                              body=f"{LEAD_NAME} wants a demo")  # fmt: skip
    admin = api_for(users.admin)
    assert api_for(users.rep_a).get(f"/api/v1/leads/{lead.pk}/personal-data").status_code == 403
    response = admin.get(f"/api/v1/leads/{lead.pk}/personal-data")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    parts = _parts(response.content)
    assert parts["kith.sales.personal_data.json"]["leads"][0]["email"] == LEAD_EMAIL
    assert parts["kith.engagement.personal_data.json"]["comments"][0]["body"].startswith(LEAD_NAME)
    assert LEAD_EMAIL in parts["kith.automation.personal_data.json"]["inbound_bodies"][0]["body"]
    out = tmp_path / "lead.zip"
    cli = CliRunner().invoke(
        app, ["personal-data", "export", str(lead.pk), "--lead", "--to", str(out)]
    )
    assert cli.exit_code == 0, cli.output
    page = web_for(users.admin).get(f"/leads/{lead.pk}/privacy/")
    assert page.status_code == 200 and LEAD_NAME in page.content.decode()
    assert web_for(users.rep_a).get(f"/leads/{lead.pk}/privacy/").status_code == 403
    assert _found(LEAD_NAME) and _found(LEAD_EMAIL)
    erased = web_for(users.admin).post(f"/leads/{lead.pk}/privacy/erase/", {"confirm": "ERASE"})
    assert erased.status_code == 302
    assert _found(LEAD_NAME) == [] and _found(LEAD_EMAIL) == []
    lead.refresh_from_db()
    assert (lead.full_name, lead.email, lead.message) == ("[erased]", "", "")
    assert InboundBody.objects.get().body == "[erased]"
    # Every answer is in the log, done, by whom.
    log = list(PrivacyRequest.objects.filter(subject="sales.lead", subject_id=lead.pk)
               .order_by("pk").values_list("kind", "done_by__username"))  # fmt: skip
    assert log == [("export", "admin"), ("export", None), ("erasure", "admin")]


def test_a_lead_that_became_a_contact_is_the_contacts(users, api_for):
    lead = sales.lead_create(by=users.rep_a, full_name="Le Minh", email="minh@example.vn")
    sales.lead_convert(by=users.rep_a, lead_id=lead.pk)
    response = api_for(users.admin).post(f"/api/v1/leads/{lead.pk}/erasure")
    assert response.status_code == 409 and "contact" in response.json()["detail"]
    assert Lead.objects.get(pk=lead.pk).full_name == "Le Minh"
