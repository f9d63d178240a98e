"""Imports that cannot take the server down or get lost: size and row limits, zip bombs, a
file read once (in the worker when large), a killed run detected, resumed or undone, stray
bytes named, preview rows numbered as in the file, a country alone as an address."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from kith.core.errors import FieldError
from kith.core.workers import worker_beat
from kith.customers.models import Address, Contact
from kith.intake import imports
from kith.intake.imports import (
    import_create,
    import_get,
    import_preview,
    import_read,
    import_resume,
    import_run,
    import_undo,
)
from kith.intake.models import ImportJob
from kith.intake.reading import TableError, table_read
from tests.intake.factories import csv_bytes, make_import

pytestmark = pytest.mark.django_db
HEADER = ["Name", "Email", "Country"]


def _people(count: int) -> list[list[str]]:
    return [HEADER] + [[f"Person {n}", f"p{n}@example.com", "VN"] for n in range(count)]


def test_a_file_over_the_size_limit_is_refused_with_both_sizes(users, settings):
    settings.KITH_IMPORT_MAX_MB = 1
    content = csv_bytes(_people(1)) + b"x" * (1024 * 1024)
    with pytest.raises(FieldError) as error:
        import_create(by=users.rep_a, kind="contacts", filename="big.csv", content=content)
    assert error.value.errors["file"] == ("The file is 1.0 MB; Kith imports files of at most 1 MB.")
    assert not ImportJob.objects.exists()


def test_a_file_over_the_row_limit_is_refused(users, settings):
    settings.KITH_IMPORT_MAX_ROWS = 5
    with pytest.raises(FieldError) as error:
        make_import(by=users.rep_a, rows=_people(6))
    assert error.value.errors["file"] == (
        "The file has more than 5 rows; split it into smaller files."
    )


def test_a_zip_bomb_posing_as_xlsx_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"0" * (8 * 1024 * 1024))
    assert len(out.getvalue()) < 64 * 1024
    with pytest.raises(TableError, match="unpacks to 8 MB"):
        table_read(out.getvalue(), filename="report.xlsx")


def test_the_file_is_read_once_and_the_preview_and_run_use_what_was_read(users):
    job = make_import(by=users.rep_a, rows=_people(3))
    assert job.table_data and job.total == 3
    # Were the file read again, this would fail: the preview and the run use the stored table.
    ImportJob.objects.filter(pk=job.pk).update(content=b"PK\x03\x04 not a workbook")
    assert import_preview(by=users.rep_a, job_id=job.pk).valid == 3
    assert import_run(by=users.rep_a, job_id=job.pk).created_count == 3


def test_a_large_file_is_read_by_the_worker_and_the_page_says_when_none_runs(
    users, settings, web_for
):
    settings.KITH_IMPORT_READ_INLINE_KB = 0
    job = make_import(by=users.rep_a, rows=_people(4))
    assert (job.status, job.total, job.table_data) == (ImportJob.Status.READING, 0, None)
    with pytest.raises(FieldError, match="still being read"):
        import_preview(by=users.rep_a, job_id=job.pk)
    client = web_for(users.rep_a)
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert 'data-import-status="reading"' in page and "data-no-worker" in page
    worker_beat(name="test-worker")
    page = client.get(reverse("import-progress", args=[job.pk])).content.decode()
    assert "data-no-worker" not in page

    job = import_read(job_id=job.pk)
    assert (job.status, job.total, job.mapping["Email"]) == ("uploaded", 4, "email")
    assert import_preview(by=users.rep_a, job_id=job.pk).valid == 4
    response = client.get(reverse("import-progress", args=[job.pk]))
    assert response["HX-Refresh"] == "true"  # read: the page reloads into the preview


def test_an_unreadable_large_file_fails_with_the_reason(users, settings):
    settings.KITH_IMPORT_READ_INLINE_KB = 0
    job = import_create(
        by=users.rep_a, kind="contacts", filename="x.xlsx", content=b"PK\x03\x04garbage"
    )
    job = import_read(job_id=job.pk)
    assert (job.status, job.message) == ("failed", "The file is not a readable XLSX workbook.")


class _Killed(BaseException):
    """What the process sees when the worker is killed: nothing of the job's own handling runs."""


def test_a_killed_run_is_detected_then_resumed_to_the_end_without_doubles(users, monkeypatch):
    monkeypatch.setattr(imports, "BULK_BATCH", 2)
    job = make_import(by=users.rep_a, rows=_people(5))

    def die_after_first_batch(done: int, total: int) -> None:
        raise _Killed

    with pytest.raises(_Killed):
        import_run(by=users.rep_a, job_id=job.pk, progress=die_after_first_batch)
    job.refresh_from_db()
    assert (job.status, job.processed, job.created_count) == ("running", 2, 2)
    assert import_get(by=users.rep_a, job_id=job.pk).status == "running"  # still beating

    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - imports.STALLED_AFTER - dt.timedelta(seconds=1)
    )
    job = import_get(by=users.rep_a, job_id=job.pk)
    assert job.status == "failed"
    assert "stopped after 2 of 5 rows" in job.message and "from row 3" in job.message

    import_resume(by=users.rep_a, job_id=job.pk)
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.status, job.processed, job.created_count) == ("done", 5, 5)
    names = sorted(Contact.objects.values_list("full_name", flat=True))
    assert names == [f"Person {n}" for n in range(5)]


def test_a_killed_run_can_be_undone(users, monkeypatch):
    monkeypatch.setattr(imports, "BULK_BATCH", 2)
    job = make_import(by=users.rep_a, rows=_people(5))
    with pytest.raises(_Killed):
        import_run(
            by=users.rep_a, job_id=job.pk, progress=lambda d, t: (_ for _ in ()).throw(_Killed)
        )
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    assert import_undo(by=users.rep_a, job_id=job.pk).status == "undone"
    assert not Contact.objects.exists()


def test_rows_with_a_stray_byte_are_named_and_not_imported_as_mojibake(users):
    good = csv_bytes([["Name", "Email"], ["Nguyễn Văn An", "an@example.vn"]])
    content = good + b"Tr\xe1n Thi B, b@example.vn\r\n" + "Lê Minh,minh@example.vn\r\n".encode()
    job = import_create(by=users.rep_a, kind="contacts", filename="x.csv", content=content)
    preview = import_preview(by=users.rep_a, job_id=job.pk)
    assert [(e.row, e.field) for e in preview.errors] == [(3, "Name")]
    assert "not UTF-8" in preview.errors[0].message
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.created_count, job.error_count) == (2, 1)
    assert sorted(Contact.objects.values_list("full_name", flat=True)) == [
        "Lê Minh",
        "Nguyễn Văn An",
    ]
    assert job.errors_csv.splitlines()[1].startswith("3,Name,")


def test_preview_rows_carry_the_file_row_numbers_the_errors_use(users, web_for):
    content = b"Name,Email\n\nAn,an@example.vn\n\n\nBinh,not-an-email\n"
    job = import_create(by=users.rep_a, kind="contacts", filename="x.csv", content=content)
    preview = import_preview(by=users.rep_a, job_id=job.pk)
    assert preview.numbers == [3, 6]
    assert [e.row for e in preview.errors] == [6]
    page = web_for(users.rep_a).get(reverse("import-detail", args=[job.pk])).content.decode()
    assert '<tr data-row="6" class="has-error"><th scope="row">6</th>' in page
    assert '<tr data-row="3"><th scope="row">3</th>' in page


def test_a_country_column_alone_is_an_address_and_names_become_codes(users):
    rows = [HEADER, ["An", "an@example.vn", "Việt Nam"], ["Wei", "wei@example.cn", "中国"]]
    job = import_run(by=users.rep_a, job_id=make_import(by=users.rep_a, rows=rows).pk)
    assert (job.created_count, job.error_count) == (2, 0)
    assert sorted(Address.objects.values_list("country", "line1")) == [("CN", ""), ("VN", "")]
