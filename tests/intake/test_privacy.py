"""A person's privacy rights: export everything Kith holds about a contact (ZIP of JSON per
app), and erasure that leaves their names, emails and phones in no text column of any table,
with revenue per month and ticket counts unchanged."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from datetime import datetime

import pytest
from django.db import connection
from django.utils import timezone
from typer.testing import CliRunner

from kith.cli.app import app
from kith.customers.services import contact_update
from kith.engagement import services as engagement
from kith.identity.models import SecurityEvent
from kith.insights.models import CustomerScore
from kith.intake.exporting import xlsx_bytes
from kith.intake.imports import import_create, import_run
from kith.intake.models import ImportJob
from kith.intake.privacy import personal_data_erase, personal_data_export
from kith.sales import services as sales
from kith.sales.models import Order
from kith.service import services as service
from kith.service.models import Ticket
from tests.factories import make_contact
from tests.intake.factories import make_import
from tests.sales.factories import make_product

NAME = "Nguyễn Thị Hoa"
EMAIL = "hoa.nguyen@example.vn"
PHONE_TYPED = "+84 912 345 678"
PHONE = "+84912345678"


@pytest.fixture
def hoa(users, records):
    """A contact with data in every app."""
    contact = make_contact(
        by=users.rep_a,
        full_name=NAME,
        first_name="Thị Hoa",
        last_name="Nguyễn",
        title="Buyer",
        emails=[EMAIL],
        phones=[PHONE_TYPED],
        company_id=records.company_a.pk,
    )
    contact_update(
        by=users.rep_a, contact_id=contact.pk, version=contact.version, title="Chief buyer"
    )
    engagement.interaction_create(
        by=users.rep_a, kind="note", contact=contact.pk, subject=f"Call with {NAME}",
        body=f"She asked us to write to {EMAIL} or call {PHONE_TYPED}.",
    )  # fmt: skip
    engagement.task_create(by=users.rep_a, title=f"Send {NAME} the offer", contact=contact.pk)
    engagement.comment_create(
        by=users.rep_a, record_model="customers.contact", record_id=contact.pk,
        body=f"{NAME} prefers email",
    )  # fmt: skip
    lead = sales.lead_create(by=users.rep_a, full_name=NAME, email=EMAIL, phone=PHONE_TYPED)
    sales.lead_convert(by=users.rep_a, lead_id=lead.pk)
    product = make_product(by=users.admin, price_minor=5000)
    for month in (1, 2):
        sales.order_create(
            by=users.rep_a, contact_id=contact.pk, currency="USD",
            ordered_at=timezone.make_aware(datetime(2026, month, 10)),
            lines=[sales.LineInput(product_id=product.pk, quantity=month)],
        )  # fmt: skip
    sales.order_create(
        by=users.rep_a, contact_id=records.contact_a.pk, currency="USD",
        lines=[sales.LineInput(product_id=product.pk, quantity=3)],
    )  # fmt: skip
    service.ticket_create(
        by=users.rep_a, subject=f"{NAME}: printer", description=f"Reply to {EMAIL}",
        contact_id=contact.pk,
    )  # fmt: skip
    service.ticket_create(by=users.rep_a, subject="Other", contact_id=records.contact_a.pk)
    CustomerScore.objects.create(contact=contact, segment="champions", scored_at=timezone.now())
    job = make_import(
        by=users.rep_a,
        rows=[
            ["First name", "Last name", "Email", "Phone"],
            ["Thị Hoa", "Nguyễn", "not-an-email", PHONE_TYPED],
            ["Bob", "Stone", "bob@example.com", ""],
        ],
    )
    import_run(by=users.rep_a, job_id=job.pk)
    import_create(
        by=users.rep_a,
        kind="contacts",
        filename="people.xlsx",
        content=xlsx_bytes(["Name", "Email"], [[NAME, EMAIL], ["Bob Stone", "bob@example.com"]]),
    )
    return contact


def _text_columns():
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                yield table, column.name


def _found(needle: str) -> list[str]:
    """Every table.column (text, JSON or binary, as text) holding `needle`."""
    hits = []
    quote = connection.ops.quote_name
    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT count(*) FROM {quote(table)} WHERE CAST({quote(column)} AS TEXT) {like} %s"
                    f" OR encode(convert_to(CAST({quote(column)} AS TEXT), 'UTF8'), 'escape') {like} %s",
                    [f"%{needle}%", f"%{needle}%"],
                )
            else:
                cursor.execute(
                    f"SELECT count(*) FROM {quote(table)} WHERE CAST({quote(column)} AS TEXT) {like} %s",
                    [f"%{needle}%"],
                )
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


def _aggregates():
    revenue = Counter()
    for order in Order.objects.all():
        revenue[(order.ordered_at.year, order.ordered_at.month, order.currency)] += (
            order.total_minor
        )
    tickets = Counter(Ticket.objects.values_list("status", flat=True))
    return revenue, tickets, Order.objects.count(), Ticket.objects.count()


def test_export_holds_every_apps_part(users, hoa, api_for, web_for):
    archive = zipfile.ZipFile(io.BytesIO(personal_data_export(by=users.admin, contact_id=hoa.pk)))
    parts = {name: json.loads(archive.read(name)) for name in archive.namelist()}
    assert parts["kith.customers.personal_data.json"]["contact"][0]["full_name"] == NAME
    assert parts["kith.customers.personal_data.json"]["contact_points"][0]["value"] == EMAIL
    assert len(parts["kith.sales.personal_data.json"]["orders"]) == 2
    assert len(parts["kith.service.personal_data.json"]["tickets"]) == 1
    assert parts["kith.engagement.personal_data.json"]["tasks"][0]["title"].startswith("Send")
    assert len(parts["kith.insights.personal_data.json"]["scores"]) == 1
    assert "kith.intake.personal_data.json" in parts and "index.json" in parts
    # The API and the page give the same ZIP; a rep may not ask for it.
    response = api_for(users.admin).get(f"/api/v1/contacts/{hoa.pk}/personal-data")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert api_for(users.rep_a).get(f"/api/v1/contacts/{hoa.pk}/personal-data").status_code == 403
    page = web_for(users.admin).get(f"/contacts/{hoa.pk}/privacy/export.zip")
    assert page.status_code == 200 and zipfile.ZipFile(io.BytesIO(page.content)).namelist()
    assert SecurityEvent.objects.filter(kind="personal_data_export").count() == 3


def test_erasure_leaves_no_trace_and_keeps_the_figures(users, hoa):
    for needle in (NAME, EMAIL, PHONE):
        assert _found(needle), needle  # the test can see them before
    before = _aggregates()
    counts = personal_data_erase(by=users.admin, contact_id=hoa.pk)
    for needle in (NAME, EMAIL, PHONE, "912 345 678"):
        assert _found(needle) == [], needle
    assert _aggregates() == before
    # The XLSX upload (compressed: no text column shows the name) is emptied too.
    assert bytes(ImportJob.objects.get(filename="people.xlsx").content) == b""
    assert counts["customers.contact_points"] == 2 and counts["insights.scores"] == 1
    event = SecurityEvent.objects.get(kind="erasure")
    assert event.target == f"contact:{hoa.pk}" and NAME not in json.dumps(event.detail)
    # Search no longer finds them.
    from kith.customers.selectors import customers_search

    for query in (EMAIL, PHONE_TYPED, "Thị Hoa"):
        assert customers_search(user=users.admin, query=query, limit=10).contacts == [], query


def test_the_cli_and_the_page_erase_only_for_admins(users, hoa, web_for, tmp_path):
    assert web_for(users.rep_a).post(f"/contacts/{hoa.pk}/privacy/erase/").status_code == 403
    out = tmp_path / "hoa.zip"
    exported = CliRunner().invoke(app, ["personal-data", "export", str(hoa.pk), "--to", str(out)])
    assert exported.exit_code == 0, exported.output
    assert zipfile.ZipFile(out).namelist()
    refused = CliRunner().invoke(app, ["personal-data", "erase", str(hoa.pk)], input="n\n")
    assert refused.exit_code != 0
    hoa.refresh_from_db()
    assert hoa.full_name == NAME
    page = web_for(users.admin).post(f"/contacts/{hoa.pk}/privacy/erase/", {"confirm": "ERASE"})
    assert page.status_code == 302
    hoa.refresh_from_db()
    assert hoa.full_name == "[erased]"


def test_retention_rules_erase_old_raw_emails_and_stale_leads(users, settings):
    from datetime import timedelta

    from kith.engagement.models import Mailbox, MailMessage
    from kith.intake.retention import retention_apply
    from kith.sales.models import Lead

    mailbox = Mailbox.objects.create(name="Sales", host="h", username="u", owner=users.admin)
    old = MailMessage.objects.create(
        mailbox=mailbox, uidvalidity=1, uid=1, status="unfiled", raw=b"From: hoa@x.vn"
    )
    new = MailMessage.objects.create(
        mailbox=mailbox, uidvalidity=1, uid=2, status="unfiled", raw=b"From: bo@x.vn"
    )
    MailMessage.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=91))
    stale = sales.lead_create(by=users.rep_a, full_name="Stale Lead", email="stale@x.vn")
    fresh = sales.lead_create(by=users.rep_a, full_name="Fresh Lead", email="fresh@x.vn")
    Lead.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=200))
    assert retention_apply() == {"raw_emails": 0, "leads": 0}  # off by default
    settings.KITH_RETENTION_RAW_EMAIL_DAYS = 90
    settings.KITH_RETENTION_LEAD_MONTHS = 6
    assert retention_apply() == {"raw_emails": 1, "leads": 1}
    assert bytes(MailMessage.objects.get(pk=old.pk).raw) == b""
    assert bytes(MailMessage.objects.get(pk=new.pk).raw) == b"From: bo@x.vn"
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.full_name, stale.email) == ("[erased]", "")
    assert fresh.full_name == "Fresh Lead"
    assert retention_apply() == {"raw_emails": 0, "leads": 0}  # idempotent
