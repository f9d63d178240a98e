"""Imports of leads, orders and interactions: preview problems, the services' writes, the
duplicate policy, and undo back to exactly the state before."""

from __future__ import annotations

import pytest

from kith.engagement.models import Interaction
from kith.intake.imports import import_preview, import_run, import_undo, mapping_guess
from kith.sales.models import Lead, Order, PurchaseSummary
from kith.sales.services import lead_create
from tests.factories import make_contact
from tests.intake.factories import database_snapshot, make_import
from tests.sales.factories import make_product


def test_mapping_is_guessed_for_each_kind():
    assert mapping_guess(["Name", "E-mail", "Campaign"], "leads") == {
        "Name": "full_name",
        "E-mail": "email",
        "Campaign": "campaign",
    }
    assert mapping_guess(["Email", "Order number", "SKU", "Qty", "Price"], "orders") == {
        "Email": "contact_email",
        "Order number": "number",
        "SKU": "product",
        "Qty": "quantity",
        "Price": "unit_price",
    }
    assert mapping_guess(["Contact ID", "Type", "Date", "Notes"], "interactions") == {
        "Contact ID": "contact_id",
        "Type": "kind",
        "Date": "occurred_at",
        "Notes": "body",
    }


def test_leads_import_with_errors_duplicates_and_undo(users):
    lead_create(by=users.rep_a, full_name="Old Lead", email="old@x.com")
    before = database_snapshot()
    job = make_import(
        by=users.rep_a,
        kind="leads",
        rows=[
            ["Name", "Email", "Phone", "Company", "Status"],
            ["Trần Thị Mai", "mai@x.vn", "+84 912 345 678", "Sao Mai", "new"],
            ["王芳", "wang@x.cn", "", "", "qualified"],
            ["", "noname@x.com", "", "", ""],
            ["Bad Status", "bs@x.com", "", "", "converted"],
            ["Old again", "OLD@x.com", "", "", ""],
        ],
    )
    preview = import_preview(by=users.rep_a, job_id=job.pk)
    assert {(e.row, e.field) for e in preview.errors} == {(4, "Name"), (5, "Status")}
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.created_count, job.skipped_count, job.error_count) == (2, 1, 2)
    mai = Lead.objects.get(email="mai@x.vn")
    assert (mai.phone, mai.company_name, mai.source_channel, mai.owner_id) == (
        "+84912345678",
        "Sao Mai",
        "import",
        users.rep_a.pk,
    )
    assert "Name" in job.errors_csv and "Status" in job.errors_csv
    import_undo(by=users.rep_a, job_id=job.pk)
    assert database_snapshot() == before


def test_leads_merge_fills_empty_fields_and_undo_restores(users):
    lead = lead_create(by=users.rep_a, full_name="Old Lead", email="old@x.com")
    before = database_snapshot()
    job = make_import(
        by=users.rep_a,
        kind="leads",
        on_duplicate="merge",
        rows=[["Name", "Email", "Company"], ["Old Lead", "old@x.com", "Acme"]],
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert job.updated_count == 1
    lead.refresh_from_db()
    assert lead.company_name == "Acme"
    import_undo(by=users.rep_a, job_id=job.pk)
    assert database_snapshot() == before


def test_orders_import_groups_lines_refreshes_summaries_and_undo(users):
    ann = make_contact(by=users.rep_a, first_name="Ann", emails=["ann@x.com"])
    bao = make_contact(by=users.rep_a, first_name="Bảo", phones=["+84 912 000 111"])
    make_product(by=users.admin, sku="TEA", price_minor=1250)
    make_product(by=users.admin, sku="CUP", price_minor=300)
    before = database_snapshot()
    job = make_import(
        by=users.rep_a,
        kind="orders",
        rows=[
            ["Email", "Phone", "Order number", "Date", "SKU", "Qty", "Price"],
            ["ann@x.com", "", "A-1", "2026-03-01", "TEA", "2", ""],
            ["ann@x.com", "", "A-1", "2026-03-01", "CUP", "1", "2.50"],
            ["", "+84 91 200 0111", "B-1", "31/03/2026", "TEA", "1", ""],
            ["nobody@x.com", "", "C-1", "2026-03-01", "TEA", "1", ""],
            ["ann@x.com", "", "A-2", "2026-03-02", "NOPE", "1", ""],
            ["ann@x.com", "", "A-3", "yesterday", "TEA", "0", ""],
        ],
    )
    job.mapping["Phone"] = "contact_phone"
    job.save()
    preview = import_preview(by=users.rep_a, job_id=job.pk)
    assert {(e.row, e.field) for e in preview.errors} == {
        (5, "Email"),
        (6, "SKU"),
        (7, "Date"),
        (7, "Qty"),
    }
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.created_count, job.error_count) == (2, 3)
    a1 = Order.objects.get(number="A-1")
    assert (a1.contact_id, a1.total_minor, a1.lines.count()) == (ann.pk, 2 * 1250 + 250, 2)
    assert Order.objects.get(number="B-1").contact_id == bao.pk
    assert PurchaseSummary.objects.get(contact_id=ann.pk).total_minor == 2750
    # The same file again: the orders are already in Kith.
    again = make_import(
        by=users.rep_a,
        kind="orders",
        rows=[["Email", "Order number", "SKU"], ["ann@x.com", "A-1", "TEA"]],
    )
    again = import_run(by=users.rep_a, job_id=again.pk)
    assert (again.created_count, again.skipped_count) == (0, 1)
    import_undo(by=users.rep_a, job_id=again.pk)
    import_undo(by=users.rep_a, job_id=job.pk)
    assert database_snapshot() == before


def test_interactions_import_and_undo(users):
    ann = make_contact(by=users.rep_a, first_name="Ann", emails=["ann@x.com"])
    hidden = make_contact(by=users.rep_b, first_name="Hidden", emails=["hid@x.com"])
    before = database_snapshot()
    job = make_import(
        by=users.rep_a,
        kind="interactions",
        rows=[
            ["Email", "Type", "Date", "Subject", "Notes", "Duration"],
            ["ann@x.com", "call", "2026-03-01 10:30", "Intro", "Called Ann", "300"],
            ["ann@x.com", "meeting", "2026-03-02", "Demo", "", ""],
            ["hid@x.com", "note", "2026-03-02", "", "secret", ""],
            ["ann@x.com", "fax", "2026-03-02", "", "x", ""],
            ["ann@x.com", "note", "2026-03-03", "", "", ""],
        ],
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.created_count, job.error_count) == (2, 3)
    call = Interaction.objects.get(kind="call")
    assert (call.contact_id, call.duration_seconds, call.subject, call.owner_id) == (
        ann.pk,
        300,
        "Intro",
        users.rep_a.pk,
    )
    assert not Interaction.objects.filter(contact=hidden).exists()
    # Importing the same rows again finds them already logged.
    again = make_import(
        by=users.rep_a,
        kind="interactions",
        rows=[
            ["Email", "Type", "Date", "Subject"],
            ["ann@x.com", "call", "2026-03-01 10:30", "Intro"],
        ],
    )
    again = import_run(by=users.rep_a, job_id=again.pk)
    assert (again.created_count, again.skipped_count) == (0, 1)
    import_undo(by=users.rep_a, job_id=job.pk)
    assert database_snapshot() == before


@pytest.mark.parametrize("kind", ["leads", "orders", "interactions"])
def test_empty_file_of_any_kind_is_refused(users, kind):
    from kith.core.errors import FieldError
    from kith.intake.imports import import_create

    with pytest.raises(FieldError) as caught:
        import_create(by=users.rep_a, kind=kind, filename="x.csv", content=b"")
    assert "empty" in caught.value.errors["file"]


def test_saved_mapping_is_reused_for_a_file_with_the_same_columns(users):
    from kith.intake.imports import import_mapping_set, mapping_template_get

    rows = [["Col A", "Col B"], ["Mai", "mai@x.vn"]]
    job = make_import(by=users.rep_a, kind="leads", rows=rows)
    assert job.mapping == {"Col A": "", "Col B": ""}
    import_mapping_set(
        by=users.rep_a,
        job_id=job.pk,
        mapping={"Col A": "full_name", "Col B": "email"},
        save_as="Trade fair list",
    )
    template = mapping_template_get(by=users.rep_a, kind="leads", name="Trade fair list")
    # The next file with these columns gets the saved mapping without asking.
    second = make_import(by=users.rep_a, kind="leads", rows=rows)
    assert second.mapping == {"Col A": "full_name", "Col B": "email"}
    # Another user does not see it; applying it by id works for its owner only.
    third = make_import(by=users.rep_b, kind="leads", rows=rows)
    assert third.mapping == {"Col A": "", "Col B": ""}
    fourth = make_import(
        by=users.rep_a, kind="leads", rows=[["Col A", "Col B", "X"], ["a", "b", "c"]]
    )
    fourth = import_mapping_set(
        by=users.rep_a, job_id=fourth.pk, mapping={}, template_id=template.pk
    )
    assert fourth.mapping == {"Col A": "full_name", "Col B": "email", "X": ""}


def test_cli_imports_orders_with_a_saved_mapping_name(users, tmp_path):
    import json

    from typer.testing import CliRunner

    from kith.cli.app import app
    from kith.intake.models import MappingTemplate

    make_contact(by=users.admin, first_name="Ann", emails=["ann@x.com"])
    make_product(by=users.admin, sku="TEA", price_minor=1250)
    MappingTemplate.objects.create(
        name="shop", kind="orders", created_by=users.admin,
        mapping={"Buyer": "contact_email", "Ref": "number", "Item": "product"},
    )  # fmt: skip
    path = tmp_path / "orders.csv"
    path.write_text("Buyer,Ref,Item\nann@x.com,S-1,TEA\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["import", "orders", str(path), "--mapping", "shop", "--json", "--user", "admin"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["created"] == 1
    assert Order.objects.get().number == "S-1"
