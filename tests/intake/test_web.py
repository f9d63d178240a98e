"""Data pages: import flow, duplicate check fragment and panel, merge page, exports; access and
query counts."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from typer.testing import CliRunner

from kith.cli.app import app
from kith.customers.models import Contact
from kith.identity.models import RoleGrant
from kith.intake.models import ImportJob, MergeRecord
from tests.factories import make_company, make_contact
from tests.intake.factories import csv_bytes, make_import


def _upload(client: Client, rows, **extra):
    content = io.BytesIO(csv_bytes(rows))
    content.name = "people.csv"
    return client.post(reverse("import-list"), {"file": content, "kind": "contacts", **extra})


@pytest.mark.django_db(transaction=True)
def test_upload_preview_import_and_undo(web_for, users):
    client = web_for(users.rep_a)
    response = _upload(
        client,
        [["Name", "Email"], ["Ann Lee", "ann@x.com"], ["Bob", "bad-email"], ["Cy", "cy@x.com"]],
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import-detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Row 3, Email:" in page
    assert "2 of the first 3 are valid" in page

    response = client.post(reverse("import-run", args=[job.pk]))
    assert response.status_code == 302
    assert ImportJob.objects.get().status == "queued"
    progress = client.get(reverse("import-progress", args=[job.pk]))
    assert 'hx-trigger="every 1s"' in progress.content.decode()

    result = CliRunner().invoke(app, ["worker", "--batch"])
    assert result.exit_code == 0, result.output
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 2, 1)
    assert client.get(reverse("import-progress", args=[job.pk]))["HX-Refresh"] == "true"
    errors = client.get(reverse("import-errors", args=[job.pk])).content.decode("utf-8-sig")
    assert errors.splitlines()[1].startswith("3,Email,")
    assert sorted(Contact.objects.values_list("full_name", flat=True)) == ["Ann Lee", "Cy"]

    client.post(reverse("import-undo", args=[job.pk]))
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_bad_upload_is_a_clear_error(web_for, users):
    client = web_for(users.rep_a)
    empty = io.BytesIO(b"")
    empty.name = "x.csv"
    response = client.post(reverse("import-list"), {"file": empty, "kind": "contacts"})
    assert response.status_code == 400
    assert "The file is empty." in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_other_users_import_is_404(web_for, users):
    job = make_import(by=users.rep_a, rows=[["Name"], ["Ann"]])
    client = web_for(users.rep_b)
    for name in ("import-detail", "import-progress", "import-errors"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("import-run", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_import_list_query_count_does_not_grow(web_for, users):
    client = web_for(users.rep_a)
    client.get(reverse("import-list"))
    counts = []
    for extra in (2, 10):
        for i in range(extra):
            make_import(by=users.rep_a, rows=[["Name"], [f"P{i}"]])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("import-list")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_duplicate_check_fragment(web_for, users):
    ann = make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    client = web_for(users.rep_a)
    page = client.get(
        reverse("duplicate-check"),
        {
            "kind": "contact",
            "first_name": "Anne",
            "last_name": "Lee",
            "emails-0-value": "ANN@x.com",
        },
    ).content.decode()
    assert reverse("contact-detail", args=[ann.pk]) in page
    assert "same email" in page
    # Team B cannot learn that team A has this person.
    page_b = (
        web_for(users.rep_b)
        .get(reverse("duplicate-check"), {"kind": "contact", "emails-0-value": "ann@x.com"})
        .content.decode()
    )
    assert "data-duplicate" not in page_b


@pytest.mark.django_db
def test_company_duplicate_check(web_for, users):
    acme = make_company(by=users.rep_a, name="Acme Trading", domain="acme.com")
    page = (
        web_for(users.rep_a)
        .get(reverse("duplicate-check"), {"kind": "company", "name": "ACME trading", "domain": ""})
        .content.decode()
    )
    assert reverse("company-detail", args=[acme.pk]) in page


@pytest.mark.django_db
def test_contact_form_has_the_duplicate_check(web_for, users):
    page = web_for(users.rep_a).get(reverse("contact-create")).content.decode()
    assert "data-duplicate-check" in page
    assert reverse("duplicate-check") in page


@pytest.mark.django_db
def test_panel_and_merge_page(web_for, users):
    a = make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    b = make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", phones=["+44 20 7946 0001"])
    client = web_for(users.rep_a)
    panel = client.get(reverse("contact-duplicates-panel", args=[a.pk])).content.decode()
    assert reverse("contact-detail", args=[b.pk]) in panel
    assert (
        web_for(users.rep_b).get(reverse("contact-duplicates-panel", args=[a.pk])).status_code
        == 404
    )

    url = reverse("merge-review") + f"?ids={a.pk},{b.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"ids": f"{a.pk},{b.pk}", "survivor": a.pk})
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=b.pk).exists()
    merge = MergeRecord.objects.get()
    # The survivor's panel offers the undo.
    panel = client.get(reverse("contact-duplicates-panel", args=[a.pk])).content.decode()
    assert reverse("merge-undo", args=[merge.pk]) in panel
    client.post(reverse("merge-undo", args=[merge.pk]))
    assert Contact.objects.filter(pk=b.pk).exists()
    assert web_for(users.rep_b).get(url).status_code == 404


def test_company_merge_page_with_defaults_and_undo(web_for, users):
    from kith.customers.models import Company

    old = make_company(by=users.rep_a, name="Acme Ltd", domain="acme.com")
    new = make_company(by=users.rep_a, name="ACME", industry="Retail")
    client = web_for(users.rep_a)
    # Editing one, the form's duplicate check links to the merge page.
    check = client.get(
        reverse("duplicate-check"), {"kind": "company", "name": "Acme", "record_id": new.pk}
    ).content.decode()
    url = reverse("merge-review") + f"?kind=company&ids={new.pk},{old.pk}"
    assert url.replace("&", "&amp;") in check
    page = client.get(url).content.decode()
    assert 'data-merge-field="domain"' in page
    response = client.post(
        url,
        {"ids": f"{new.pk},{old.pk}", "kind": "company", "survivor": new.pk,
         "field-name": old.pk, "field-domain": old.pk, "field-industry": new.pk},
    )  # fmt: skip
    assert response.status_code == 302
    survivor = Company.objects.get()
    assert (survivor.pk, survivor.name, survivor.domain, survivor.industry) == (
        new.pk, "Acme Ltd", "acme.com", "Retail",
    )  # fmt: skip
    merge = MergeRecord.objects.get()
    undone = client.post(reverse("merge-undo", args=[merge.pk]))
    assert undone["Location"] == reverse("company-detail", args=[new.pk])
    assert Company.objects.count() == 2


@pytest.mark.django_db
def test_exports_are_gated_and_neutralised(web_for, users):
    make_contact(by=users.rep_a, first_name="=HYPERLINK(1)", last_name="Lee")
    make_contact(by=users.rep_b, first_name="Bea", last_name="Secret")
    client = web_for(users.rep_a)
    xlsx = client.get(reverse("export-contacts", args=["xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    values = [row for row in sheet.iter_rows(values_only=True)]
    names = [row[2] for row in values[1:]]
    assert names == ["'=HYPERLINK(1)"]
    vcf = b"".join(client.get(reverse("export-contacts", args=["vcf"])).streaming_content)
    assert b"Secret" not in vcf
    assert b"BEGIN:VCARD" in vcf

    RoleGrant.objects.filter(role__slug="sales_rep", module="contacts").update(can_export=False)
    assert web_for(users.rep_a).get(reverse("export-contacts", args=["xlsx"])).status_code == 403


def test_exports_keep_the_list_filters(web_for, users):
    make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", lifecycle_stage="customer")
    make_contact(by=users.rep_a, first_name="Bob", last_name="Lee", lifecycle_stage="lead")
    client = web_for(users.rep_a)
    csv_text = b"".join(
        client.get(
            reverse("export-contacts", args=["csv"]), {"stage": "customer"}
        ).streaming_content
    ).decode("utf-8-sig")
    assert "Ann" in csv_text and "Bob" not in csv_text
    # The list page links to every format with its filters.
    page = client.get(reverse("contact-list"), {"stage": "customer"}).content.decode()
    assert reverse("export-contacts", args=["xlsx"]) + "?stage=customer" in page
    assert reverse("export-contacts", args=["vcf"]) + "?stage=customer" in page


def test_company_exports_are_filtered_gated_and_neutralised(web_for, users):
    make_company(by=users.rep_a, name="@Acme", domain="acme.com", industry="Retail")
    make_company(by=users.rep_a, name="Beta", industry="Mining")
    make_company(by=users.rep_b, name="Hidden Co", industry="Retail")
    client = web_for(users.rep_a)
    text = b"".join(
        client.get(
            reverse("export-companies", args=["csv"]), {"industry": "Retail"}
        ).streaming_content
    ).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,name,domain,industry")
    assert [line.split(",")[1] for line in lines[1:]] == ["'@Acme"]
    from openpyxl import load_workbook

    xlsx = client.get(reverse("export-companies", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert sorted(row[1] for row in list(sheet.iter_rows(values_only=True))[1:]) == [
        "'@Acme",
        "Beta",
    ]
    vcf = b"".join(client.get(reverse("export-companies", args=["vcf"])).streaming_content)
    assert vcf.count(b"BEGIN:VCARD") == 2 and b"Hidden" not in vcf
    page = client.get(reverse("company-list"), {"industry": "Retail"}).content.decode()
    assert reverse("export-companies", args=["xlsx"]) + "?industry=Retail" in page
    RoleGrant.objects.filter(role__slug="sales_rep", module="companies").update(can_export=False)
    denied = web_for(users.rep_a).get(reverse("export-companies", args=["csv"]))
    assert denied.status_code == 403
