"""Imports: reading files, mapping guess, preview, run, duplicates, error file, undo, access."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kith.core.errors import FieldError, NotFound
from kith.core.text import controls_strip
from kith.customers.models import Contact, ContactPoint
from kith.intake.exporting import cell_neutralise
from kith.intake.imports import (
    import_create,
    import_mapping_set,
    import_preview,
    import_run,
    import_undo,
    mapping_guess,
)
from kith.intake.models import ImportJob, MappingTemplate
from kith.intake.reading import MAX_CELL, csv_read, table_read
from tests.factories import make_contact
from tests.intake.factories import csv_bytes, database_snapshot, make_import

HEADER = ["First name", "Last name", "Email", "Phone", "Company", "Stage"]


# --- reading ------------------------------------------------------------------------------------


def test_utf8_with_bom_and_semicolons():
    content = "\ufeffName;Email\nNguyễn Văn An;an@example.vn\n".encode()
    table = table_read(content, filename="x.csv")
    assert table.header == ["Name", "Email"]
    assert table.rows == [["Nguyễn Văn An", "an@example.vn"]]
    assert table.delimiter == ";"
    assert table.encoding == "utf-8-sig"


def test_gb18030_file_is_decoded():
    text = "姓名,电话\n王伟,13800138000\n李娜,13900139000\n张伟,13700137000\n"
    table = table_read(text.encode("gb18030"), filename="x.csv")
    assert table.rows[0] == ["王伟", "13800138000"]
    assert table.encoding == "gb18030"


def _cp1258(text: str) -> bytes:
    """As Vietnamese Windows software writes it: precomposed where cp1258 has the letter,
    else the base letter and a combining tone mark."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            composed = unicodedata.normalize(
                "NFC", base + "".join(m for m in marks if m in "\u0306\u0302\u031b")
            )
            tones = "".join(m for m in marks if m not in "\u0306\u0302\u031b")
            out += composed.encode("cp1258") + tones.encode("cp1258")
    return out


def test_windows_1258_file_is_decoded():
    text = "Họ tên,Thành phố\n" + "Nguyễn Thị Hương,Hà Nội\nTrần Văn Bình,Huế\n" * 5
    table = table_read(_cp1258(text), filename="x.csv")
    assert len(table.rows) == 10
    assert table.header == ["Họ tên", "Thành phố"]
    assert table.rows[0] == ["Nguyễn Thị Hương", "Hà Nội"]


def test_tab_separated():
    table = table_read(b"name\temail\nAnn\tann@example.com\n", filename="x.tsv")
    assert table.delimiter == "\t"
    assert table.rows == [["Ann", "ann@example.com"]]


def test_empty_file_is_refused():
    with pytest.raises(ValueError, match="empty"):
        table_read(b"", filename="x.csv")
    with pytest.raises(ValueError, match="empty"):
        table_read(b"\n\n  \n", filename="x.csv")


def test_ragged_rows_are_padded_with_a_warning():
    table = csv_read(b"a,b,c\n1,2\n1,2,3,4\n")
    assert table.rows == [["1", "2", ""], ["1", "2", "3", "4"]]
    assert [n for n, _m in table.warnings] == [2, 3]


def test_huge_cell_is_refused_with_its_row():
    content = b"a,b\n1,2\n3," + b"x" * (MAX_CELL + 1) + b"\n"
    with pytest.raises(ValueError, match="Row 3"):
        table_read(content, filename="x.csv")


def test_broken_xlsx_is_refused():
    with pytest.raises(ValueError, match="XLSX"):
        table_read(b"PK\x03\x04garbage", filename="x.xlsx")


def test_xlsx_is_read():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Email", "Age"])
    sheet.append(["王伟", "wang@example.cn", 42])
    out = io.BytesIO()
    book.save(out)
    table = table_read(out.getvalue(), filename="people.xlsx")
    assert table.header == ["Name", "Email", "Age"]
    assert table.rows == [["王伟", "wang@example.cn", "42"]]


def test_vcard_is_read():
    content = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n"
        b"EMAIL:jane@example.com\r\nTEL:+1 415 555 0100\r\nORG:Acme\r\nEND:VCARD\r\n"
    )
    table = table_read(content, filename="x.vcf")
    row = dict(zip(table.header, table.rows[0], strict=True))
    assert row["First name"] == "Jane"
    assert row["Last name"] == "Doe"
    assert row["Email"] == "jane@example.com"
    assert row["Company"] == "Acme"


@given(
    st.lists(
        st.lists(
            st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_csv_round_trip(rows, delimiter, encoding):
    header = ["alpha", "beta", "gamma"]
    content = csv_bytes([header, *rows], encoding=encoding, delimiter=delimiter)
    try:
        table = csv_read(content)
    except ValueError:
        return  # only an all-blank file may be refused
    kept = [r for r in rows if any(c.strip() for c in r)]
    # Line breaks inside quoted cells are normalised by the csv module the same way both ways.
    assert len(table.rows) == len(kept)
    assert table.header == header


@given(st.text(max_size=20))
def test_neutralised_cells_never_start_a_formula(text):
    out = cell_neutralise(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    # Control characters (which XLSX cannot hold) are dropped.
    kept = controls_strip(text)
    assert out.removeprefix("'") == kept or out == kept


def test_formula_cells_are_neutralised():
    assert cell_neutralise("=1+1") == "'=1+1"
    assert cell_neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert cell_neutralise("Ann") == "Ann"


# --- mapping and preview ----------------------------------------------------------------------


def test_mapping_is_guessed_in_three_languages():
    header = ["Given name", "Surname", "E-mail", "Mobile", "Họ tên", "公司", "Notes"]
    assert mapping_guess(header, "contacts") == {
        "Given name": "first_name",
        "Surname": "last_name",
        "E-mail": "email",
        "Mobile": "phone",
        "Họ tên": "full_name",
        "公司": "company",
        "Notes": "",
    }


def test_preview_names_failing_rows_and_fields(users):
    job = make_import(
        by=users.rep_a,
        rows=[
            HEADER,
            ["Ann", "Lee", "ann@example.com", "+84 912 345 678", "", ""],
            ["Bob", "Ng", "not-an-email", "", "", ""],
            ["", "", "", "", "", ""],
            ["", "", "x@example.com", "", "", "boss"],
        ],
    )
    preview = import_preview(by=users.rep_a, job_id=job.pk)
    assert preview.total == 3
    assert preview.valid == 1
    assert [(e.row, e.field) for e in preview.errors] == [
        (3, "Email"),
        (5, "First name"),
        (5, "Stage"),
    ]
    assert "not a valid email" in preview.errors[0].message


def test_mapping_can_be_changed_and_saved(users):
    job = make_import(by=users.rep_a, rows=[["Who", "Mail"], ["Ann", "ann@example.com"]])
    assert job.mapping == {"Who": "", "Mail": "email"}
    job = import_mapping_set(
        by=users.rep_a,
        job_id=job.pk,
        mapping={"Who": "full_name", "Mail": "email"},
        save_as="CRM export",
    )
    assert job.mapping == {"Who": "full_name", "Mail": "email"}
    assert MappingTemplate.objects.get().mapping == {"Who": "full_name", "Mail": "email"}
    with pytest.raises(FieldError) as exc:
        import_mapping_set(by=users.rep_a, job_id=job.pk, mapping={"Who": "salary"})
    assert "Who" in exc.value.errors


def test_unreadable_file_stores_nothing(users):
    with pytest.raises(FieldError) as exc:
        import_create(by=users.rep_a, kind="contacts", filename="x.csv", content=b"")
    assert exc.value.errors == {"file": "The file is empty."}
    assert ImportJob.objects.count() == 0


# --- running ----------------------------------------------------------------------------------


def test_import_writes_valid_rows_and_an_error_file(users):
    job = make_import(
        by=users.rep_a,
        rows=[
            HEADER,
            ["Văn An", "Nguyễn", "an@example.vn", "+84 912 345 678", "", "customer"],
            ["Bob", "Ng", "not-an-email", "", "", ""],
            ["伟", "王", "wang@example.cn", "+86 138 0013 8000", "", ""],
        ],
    )
    job = import_run(by=users.rep_a, job_id=job.pk)

    assert (job.status, job.created_count, job.error_count) == ("done", 2, 1)
    an = Contact.objects.get(primary_email="an@example.vn")
    assert an.full_name == "Nguyễn Văn An"
    assert an.primary_phone == "+84912345678"
    assert an.lifecycle_stage == "customer"
    assert an.source_channel == "import"
    assert (an.owner_id, an.team_id) == (users.rep_a.pk, users.rep_a.team_id)
    assert an.sort_name == "nguyen van an"
    wang = Contact.objects.get(primary_email="wang@example.cn")
    assert wang.full_name == "王伟"
    errors = list(csv.reader(io.StringIO(job.errors_csv)))
    assert errors[0][:3] == ["row", "column", "error"]
    assert errors[1][:2] == ["3", "Email"]
    assert errors[1][3:] == ["Bob", "Ng", "not-an-email", "", "", ""]


def test_duplicates_are_skipped_by_default(users):
    make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@example.com"])
    job = make_import(
        by=users.rep_a,
        rows=[
            HEADER,
            ["Ann", "Lee", "ANN@example.com", "", "", ""],
            ["Cara", "Mills", "cara@example.com", "", "", ""],
            ["Cara", "M.", "cara@example.com", "", "", ""],
        ],
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.created_count, job.skipped_count, job.updated_count) == (1, 2, 0)
    assert Contact.objects.filter(primary_email="ann@example.com").count() == 1


def test_merge_fills_the_existing_contact_and_undo_restores_it(users):
    ann = make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    before = database_snapshot()
    job = make_import(
        by=users.rep_a,
        rows=[
            ["First name", "Email", "Phone", "Title"],
            ["Ann", "ann@x.com", "+44 20 7946 0000", "CTO"],
            ["Dan", "dan@x.com", "", ""],
        ],
        on_duplicate="merge",
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.created_count, job.updated_count) == (1, 1)
    ann.refresh_from_db()
    assert ann.title == "CTO"
    assert set(ann.points.values_list("value", flat=True)) == {"ann@x.com", "+442079460000"}

    import_undo(by=users.rep_a, job_id=job.pk)

    assert database_snapshot() == before
    assert ImportJob.objects.get(pk=job.pk).status == "undone"


def test_create_policy_imports_duplicates_anyway(users):
    make_contact(by=users.rep_a, first_name="Ann", emails=["ann@x.com"])
    job = make_import(
        by=users.rep_a, rows=[["Name", "Email"], ["Ann", "ann@x.com"]], on_duplicate="create"
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert job.created_count == 1
    assert Contact.objects.filter(primary_email="ann@x.com").count() == 2


def test_undo_removes_created_contacts_exactly(users):
    make_contact(by=users.rep_a, first_name="Keep", emails=["keep@x.com"])
    before = database_snapshot()
    job = make_import(
        by=users.rep_a,
        rows=[HEADER] + [[f"P{i}", "Z", f"p{i}@x.com", "", "", ""] for i in range(30)],
    )
    import_run(by=users.rep_a, job_id=job.pk)
    assert Contact.objects.count() == 31
    import_undo(by=users.rep_a, job_id=job.pk)
    assert database_snapshot() == before


def test_companies_import(users):
    job = make_import(
        by=users.rep_a,
        kind="companies",
        rows=[["Company", "Website"], ["Acme", "https://www.acme.com/"], ["Bad", "not a domain"]],
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.created_count, job.error_count) == (1, 1)
    from kith.customers.models import Company

    assert Company.objects.get().domain == "acme.com"


# --- access -----------------------------------------------------------------------------------


def test_rep_b_import_does_not_touch_team_a_records(users):
    ann = make_contact(by=users.rep_a, first_name="Ann", emails=["ann@x.com"])
    job = make_import(
        by=users.rep_b,
        rows=[["Name", "Email", "Title"], ["Ann B", "ann@x.com", "Spy"]],
        on_duplicate="merge",
    )
    job = import_run(by=users.rep_b, job_id=job.pk)
    full_name = ann.full_name
    ann.refresh_from_db()
    assert ann.title == ""
    assert ann.full_name == full_name
    # rep_b cannot see Ann, so for rep_b the row is a new person, in team B.
    assert job.created_count == 1
    assert Contact.objects.get(team=users.rep_b.team).full_name == "Ann B"


def test_other_users_imports_are_not_found(users):
    job = make_import(by=users.rep_a, rows=[["Name"], ["Ann"]])
    with pytest.raises(NotFound):
        import_preview(by=users.rep_b, job_id=job.pk)
    with pytest.raises(NotFound):
        import_run(by=users.rep_a2, job_id=job.pk)
    assert ContactPoint.objects.count() == 0


def test_city_without_street_names_the_city_column(users):
    job = make_import(by=users.rep_a, rows=[["Name", "City"], ["Ann", "Hà Nội"]])
    preview = import_preview(by=users.rep_a, job_id=job.pk)
    assert [(e.row, e.field) for e in preview.errors] == [(2, "City")]


def test_companies_merge_fills_empty_fields_and_undo_restores(users):
    from kith.customers.models import Company
    from tests.factories import make_company

    acme = make_company(by=users.rep_a, name="Acme", industry="Retail")
    make_company(by=users.rep_b, name="Beta")  # another team's: not a duplicate for rep_a
    before = database_snapshot()
    job = make_import(
        by=users.rep_a,
        kind="companies",
        on_duplicate="merge",
        rows=[
            ["Company", "Website", "Industry"],
            ["ACME", "acme.com", "Mining"],
            ["Beta", "", ""],
        ],
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.updated_count, job.created_count) == (1, 1)
    acme.refresh_from_db()
    # The empty domain is filled; the industry it had is kept.
    assert (acme.domain, acme.industry) == ("acme.com", "Retail")
    import_undo(by=users.rep_a, job_id=job.pk)
    assert database_snapshot() == before
    assert Company.objects.count() == 2


def test_file_errors_are_in_the_users_language(users):
    from django.utils import translation

    for language, message in (("vi", "Tệp trống."), ("zh-hans", "文件是空的。")):
        with translation.override(language), pytest.raises(FieldError) as caught:
            import_create(by=users.rep_a, kind="contacts", filename="x.csv", content=b" \n")
        assert caught.value.errors["file"] == message
    with translation.override("vi"), pytest.raises(FieldError) as caught:
        import_create(
            by=users.rep_a, kind="contacts", filename="x.csv", content=b"Name,Name\nA,B\n"
        )
    assert caught.value.errors["file"] == "Cột “Name” xuất hiện hai lần."
