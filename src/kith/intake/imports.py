"""Imports: upload, mapping guess, preview, run (bulk, with the duplicate check), error file,
undo. Contacts and companies are cleaned and written here; leads, orders and interactions by
kith.intake.imports_records through their apps' services.

Rows are cleaned by the same functions the customers services use (points_clean,
addresses_clean, domain_normalise, contact_index_fields) and written by kith.customers.bulk,
so an imported contact is stored exactly like one typed in. Each batch is one transaction;
a row that fails goes to the error file with its reason, the others are imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.bulk import next_id, rows_insert, sequences_reset
from kith.core.errors import FieldError, NotFound
from kith.core.models import ChangeRecord
from kith.core.text import clean, fold
from kith.customers.bulk import (
    ADDRESS_ATTRS,
    CONTACT_ATTRS,
    POINT_ATTRS,
    created_record,
    tag_ids,
)
from kith.customers.indexing import company_index_fields, contact_index_fields, display_name
from kith.customers.models import Company, Contact, ContactPoint
from kith.customers.normalise import domain_normalise
from kith.customers.points import addresses_clean, phone_region_choose, points_clean
from kith.customers.search import search_index_batched
from kith.identity.access import require, visible_to
from kith.identity.models import SecurityEvent, User
from kith.identity.security import security_event_record
from kith.intake import imports_records as records
from kith.intake.exporting import cell_neutralise
from kith.intake.models import ImportJob, ImportUpdate, MappingTemplate
from kith.intake.reading import Table, TableError, table_pack, table_read, table_unpack

Progress = Callable[[int, int], None]
BATCH = 2000
PREVIEW_VALIDATE = 10_000
# A running import whose run has not beaten for this long was killed (worker stopped, server
# restarted): it is marked failed, and can be undone or resumed.
STALLED_AFTER = dt.timedelta(minutes=10)

CONTACT_FIELDS: dict[str, tuple[str, ...]] = {
    # field: header synonyms (folded, separators removed)
    "first_name": ("firstname", "givenname", "forename", "first", "ten", "名"),
    "last_name": ("lastname", "surname", "familyname", "last", "ho", "姓"),
    "full_name": ("fullname", "name", "contactname", "hoten", "hovaten", "姓名", "名字"),
    "email": ("email", "emailaddress", "mail", "primaryemail", "邮箱", "电子邮件"),
    "phone": ("phone", "telephone", "mobile", "tel", "phonenumber", "dienthoai", "电话", "手机"),
    "title": ("title", "jobtitle", "position", "role", "chucvu", "职位"),
    "company": ("company", "organisation", "organization", "companyname", "congty", "公司"),
    "lifecycle_stage": ("stage", "lifecyclestage", "status"),
    "tags": ("tags", "labels", "tag"),
    "line1": ("address", "street", "address1", "line1", "addressline1", "diachi", "地址"),
    "city": ("city", "town", "suburb", "thanhpho", "城市"),
    "region": ("region", "state", "province", "tinh", "省"),
    "postal_code": ("postcode", "zip", "zipcode", "postalcode"),
    "country": ("country", "quocgia", "国家"),
}
COMPANY_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "company", "companyname", "organisation", "organization", "congty", "公司"),
    "domain": ("domain", "website", "web", "url", "site"),
    "industry": ("industry", "sector", "nganh", "行业"),
    "size": ("size", "employees", "companysize"),
}


# What the preview's column menus call each field.
FIELD_LABELS = {
    "first_name": gettext_lazy("First name"), "last_name": gettext_lazy("Last name"),
    "full_name": gettext_lazy("Full name"), "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"), "title": gettext_lazy("Job title"),
    "company": gettext_lazy("Company"), "lifecycle_stage": gettext_lazy("Lifecycle stage"),
    "tags": gettext_lazy("Tags"), "line1": gettext_lazy("Street address"),
    "city": gettext_lazy("City"), "region": gettext_lazy("Region or province"),
    "postal_code": gettext_lazy("Postal code"), "country": gettext_lazy("Country (2 letters)"),
    "name": gettext_lazy("Name"), "domain": gettext_lazy("Website or domain"),
    "industry": gettext_lazy("Industry"), "size": gettext_lazy("Company size"),
    "company_name": gettext_lazy("Company"), "website": gettext_lazy("Website"),
    "message": gettext_lazy("Message"), "campaign": gettext_lazy("Campaign"),
    "status": gettext_lazy("Status"), "contact_email": gettext_lazy("Contact's email"),
    "contact_phone": gettext_lazy("Contact's phone"), "contact_id": gettext_lazy("Contact id"),
    "number": gettext_lazy("Order number"), "ordered_at": gettext_lazy("Order date"),
    "product": gettext_lazy("Product (SKU or name)"), "quantity": gettext_lazy("Quantity"),
    "unit_price": gettext_lazy("Unit price"), "currency": gettext_lazy("Currency"),
    "kind": gettext_lazy("Kind (call, email, meeting, …)"), "occurred_at": gettext_lazy("When"),
    "subject": gettext_lazy("Subject"), "body": gettext_lazy("Text"),
    "direction": gettext_lazy("Direction (in/out)"), "channel": gettext_lazy("Channel"),
    "duration_seconds": gettext_lazy("Duration (seconds)"), "outcome": gettext_lazy("Outcome"),
}  # fmt: skip
# Choices' .values builds a new list on every access: looked up once per row, it showed in profiles.
_STAGES = frozenset(Contact.Stage.values)


def fields_for(kind: str) -> dict[str, tuple[str, ...]]:
    """The fields a file of `kind` can fill, with the column names that suggest each."""
    if kind in records.FIELDS:
        return records.FIELDS[kind]
    return CONTACT_FIELDS if kind == ImportJob.Kind.CONTACTS else COMPANY_FIELDS


def _header_key(name: str) -> str:
    folded = fold(name)
    key = "".join(ch for ch in folded if ch.isalnum())
    return key


def mapping_guess(header: Sequence[str], kind: str) -> dict[str, str]:
    """column -> field for the columns whose names Kith recognises ("" = not imported)."""
    synonyms = fields_for(kind)
    mapping: dict[str, str] = {}
    for column in header:
        key = _header_key(column)
        mapping[column] = next((f for f, names in synonyms.items() if key in names), "")
    return mapping


@dataclass
class RowError:
    row: int  # as the user counts it in the file: the header is row 1
    field: str  # the column name
    message: str


@dataclass
class Preview:
    header: list[str]
    mapping: dict[str, str]
    rows: list[list[str]]
    total: int
    valid: int  # among the first PREVIEW_VALIDATE rows
    checked: int
    errors: list[RowError] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    # The file row number of each of `rows` (blank lines are skipped, so not always i + 2).
    numbers: list[int] = field(default_factory=list)


def _job_for(*, by: User, job_id: int) -> ImportJob:
    require(by, "imports", "read")
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or (job.created_by_id != by.pk and not by.is_superuser):
        raise NotFound(_("This import does not exist."))
    _stalled_fail(job)
    return job


def _stalled_fail(job: ImportJob, *, now: Any = None) -> bool:
    """Mark a running import whose run stopped beating as failed; True when it did."""
    if job.status != ImportJob.Status.RUNNING:
        return False
    now = now or timezone.now()
    if (job.heartbeat_at or job.created_at) > now - STALLED_AFTER:
        return False
    # Only the first viewer's UPDATE sees it still running (a second worker may be reading it).
    updated = ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.RUNNING, heartbeat_at=job.heartbeat_at
    ).update(
        status=ImportJob.Status.FAILED,
        finished_at=now,
        message=_(
            "The import stopped after %(done)s of %(total)s rows (the worker running it ended). "
            "Undo what it wrote, or resume it from row %(next)s."
        )
        % {"done": job.processed, "total": job.total, "next": job.processed + 1},
    )
    if updated:
        job.refresh_from_db()
    return bool(updated)


def imports_stalled_fail(*, now: Any = None) -> int:
    """Mark every stalled running import as failed (the worker's schedule; pages do it too)."""
    now = now or timezone.now()
    running = ImportJob.objects.filter(status=ImportJob.Status.RUNNING).only(
        "pk", "status", "heartbeat_at", "created_at", "processed", "total"
    )
    return sum(_stalled_fail(job, now=now) for job in running)


def import_create(
    *,
    by: User,
    kind: str,
    filename: str,
    content: bytes,
    mapping: dict[str, str] | None = None,
    on_duplicate: str = ImportJob.OnDuplicate.SKIP,
) -> ImportJob:
    """Store an uploaded file as an import waiting for its preview. Raises FieldError("file")
    for a file Kith cannot read (empty, not text, broken XLSX, …): nothing is stored then."""
    require(by, "imports", "create")
    if kind not in ImportJob.Kind.values:
        raise FieldError.one("kind", _("Choose what the rows are."))
    require(by, kind, "create")
    if on_duplicate not in ImportJob.OnDuplicate.values:
        raise FieldError.one("on_duplicate", _("Choose skip, merge or create."))
    upload_size_check(len(content))
    if not content:
        raise FieldError.one("file", _("The file is empty."))
    job = ImportJob(
        kind=kind,
        filename=filename[:255],
        content=content,
        on_duplicate=on_duplicate,
        created_by=by,
        team_id=by.team_id,
    )
    if len(content) > settings.KITH_IMPORT_READ_INLINE_KB * 1024:
        # A large file is read by the worker, so no request waits minutes for an XLSX.
        if mapping:
            job.mapping = mapping
        job.status = ImportJob.Status.READING
        job.save()
        from kith.intake.tasks import import_read_task

        transaction.on_commit(lambda: import_read_task.enqueue(job.pk))
        return job
    try:
        table = _read(content, filename)
    except TableError as exc:
        raise FieldError.one("file", _(exc.template) % exc.params) from exc
    _table_attach(job, table, by=by, mapping=mapping)
    job.save()
    return job


def upload_size_check(size: int) -> None:
    """Refuse a file larger than KITH_IMPORT_MAX_MB, naming both sizes."""
    limit = settings.KITH_IMPORT_MAX_MB
    if size > limit * 1024 * 1024:
        raise FieldError.one(
            "file",
            _("The file is %(size).1f MB; Kith imports files of at most %(limit)s MB.")
            % {"size": size / (1024 * 1024), "limit": limit},
        )


def _read(content: bytes, filename: str) -> Table:
    return table_read(content, filename=filename, max_rows=settings.KITH_IMPORT_MAX_ROWS)


def _table_attach(
    job: ImportJob, table: Table, *, by: User, mapping: dict[str, str] | None
) -> None:
    """Keep the table read from the job's file, with the mapping guessed for its columns (a
    saved mapping of the same columns, or `mapping` the caller gave)."""
    guessed = mapping_guess(table.header, job.kind)
    if not mapping:
        # A file with the same columns as one whose mapping the user saved: use that mapping.
        for template in mapping_templates(by=by, kind=job.kind)[::-1][:50]:
            if set(template.mapping) == set(table.header):
                guessed.update(template.mapping)
                break
    if mapping:
        mapping_check(mapping, table.header, job.kind)
        guessed.update(mapping)
    job.mapping = guessed
    job.total = len(table.rows)
    job.table_data = table_pack(table)
    job.status = ImportJob.Status.UPLOADED


def import_read(*, job_id: int) -> ImportJob:
    """Read the file of an import waiting in READING (the worker's task): the import then
    waits for its preview, or fails with what is wrong with the file. Idempotent."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.READING:
        return job
    try:
        table = _read(bytes(job.content), job.filename)
        _table_attach(job, table, by=job.created_by, mapping=job.mapping or None)
    except (TableError, FieldError) as exc:
        job.status = ImportJob.Status.FAILED
        job.message = (
            _(exc.template) % exc.params
            if isinstance(exc, TableError)
            else "; ".join(exc.errors.values())
        )
        job.finished_at = timezone.now()
    job.save()
    return job


def mapping_check(mapping: dict[str, str], header: Sequence[str], kind: str) -> None:
    allowed = set(fields_for(kind))
    errors = {}
    for column, target in mapping.items():
        if column not in header:
            errors[column] = _("The file has no column “%(c)s”.") % {"c": column}
        elif target and target not in allowed:
            errors[column] = _("“%(f)s” is not a field Kith can import.") % {"f": target}
    if errors:
        raise FieldError(errors)


def import_mapping_set(
    *,
    by: User,
    job_id: int,
    mapping: dict[str, str],
    on_duplicate: str | None = None,
    save_as: str = "",
    template_id: int | None = None,
) -> ImportJob:
    """Change the column mapping (and duplicate policy) of an import not yet run: as given, or
    from a saved template (`template_id`); optionally save it as a template."""
    job = _job_for(by=by, job_id=job_id)
    if job.status != ImportJob.Status.UPLOADED:
        raise FieldError.one("mapping", _("This import has already run."))
    table = _table(job)
    if template_id is not None:
        template = MappingTemplate.objects.filter(
            pk=template_id, created_by=by, kind=job.kind
        ).first()
        if template is None:
            raise NotFound(_("This saved mapping does not exist."))
        # Columns the template knows take its field; the file's other columns keep theirs.
        mapping = {c: template.mapping.get(c, mapping.get(c, "")) for c in table.header}
    mapping_check(mapping, table.header, job.kind)
    job.mapping = {column: mapping.get(column, "") for column in table.header}
    if on_duplicate:
        if on_duplicate not in ImportJob.OnDuplicate.values:
            raise FieldError.one("on_duplicate", _("Choose skip, merge or create."))
        job.on_duplicate = on_duplicate
    job.save(update_fields=["mapping", "on_duplicate"])
    if save_as.strip():
        MappingTemplate.objects.create(
            name=clean(save_as)[:120], kind=job.kind, mapping=job.mapping, created_by=by
        )
    return job


def _table(job: ImportJob) -> Table:
    """The job's table, as read once when the file came in (an older job is read and kept)."""
    if job.table_data:
        return table_unpack(bytes(job.table_data))
    if job.status == ImportJob.Status.READING:
        raise FieldError.one("file", _("The file is still being read; try again in a moment."))
    try:
        table = _read(bytes(job.content), job.filename)
    except TableError as exc:
        raise FieldError.one("file", _(exc.template) % exc.params) from exc
    job.table_data = table_pack(table)
    job.save(update_fields=["table_data"])
    return table


def _undecodable_message() -> str:
    return _("This row holds bytes that are not UTF-8 and was not imported; fix it in the file.")


# --- cleaning ---------------------------------------------------------------------------------


@dataclass
class CleanContact:
    first_name: str
    last_name: str
    full_name: str
    title: str
    company_name: str
    lifecycle_stage: str
    emails: list[Any]
    phones: list[Any]
    addresses: list[dict[str, str]]
    tags: list[str]


def _values(row: Sequence[str], header: Sequence[str], mapping: dict[str, str]) -> dict:
    values: dict[str, list[tuple[str, str]]] = {}
    for index, column in enumerate(header):
        target = mapping.get(column, "")
        if target and index < len(row) and row[index].strip():
            values.setdefault(target, []).append((column, row[index]))
    return values


def _column_of(values: dict, target: str, fallback: str, mapping: dict | None = None) -> str:
    found = values.get(target)
    if found:
        return found[0][0]
    mapped = [c for c, t in (mapping or {}).items() if t == target]
    return mapped[0] if mapped else fallback


def contact_row_clean(
    row: Sequence[str], header: Sequence[str], mapping: dict[str, str]
) -> tuple[CleanContact | None, list[tuple[str, str]]]:
    """A contact from one row, or None and [(column, message), ...]."""
    values = _values(row, header, mapping)
    errors: list[tuple[str, str]] = []

    def one(target: str, limit: int) -> str:
        found = values.get(target)
        if not found:
            return ""
        column, raw = found[0]
        text = clean(raw)
        if len(text) > limit:
            errors.append((column, _("Use at most %(n)d characters.") % {"n": limit}))
        return text[:limit]

    first, last = one("first_name", 100), one("last_name", 100)
    full = one("full_name", 200) or display_name(first_name=first, last_name=last)
    if not full:
        column = _column_of(
            values, "full_name", _column_of(values, "first_name", "full_name", mapping), mapping
        )
        errors.append((column, _("Enter a name.")))
    stage = one("lifecycle_stage", 12).lower() or Contact.Stage.LEAD
    if stage not in _STAGES:
        errors.append(
            (_column_of(values, "lifecycle_stage", "stage"), _("Choose a valid lifecycle stage."))
        )
    point_errors: dict[str, str] = {}
    emails = points_clean(
        ContactPoint.Kind.EMAIL, [v for _c, v in values.get("email", [])], point_errors
    )
    country = one("country", 2 + 100)
    # A row with Country VN reads "0912 345 678" as a Vietnamese number.
    phones = points_clean(
        ContactPoint.Kind.PHONE, [v for _c, v in values.get("phone", [])], point_errors,
        region=phone_region_choose(country),
    )  # fmt: skip
    for key, message in point_errors.items():
        kind, _dot, index = key.partition(".")
        source = values["email" if kind == "emails" else "phone"]
        errors.append((source[int(index)][0], message))
    address = {name: one(name, 200) for name in ("line1", "city", "region", "postal_code")}
    address["country"] = country
    address_errors: dict[str, str] = {}
    addresses = addresses_clean([address], address_errors) if any(address.values()) else []
    address_columns = [c for c, t in mapping.items() if t in address and t in values]
    for key, message in address_errors.items():
        name = key.rsplit(".", 1)[-1]
        # "line1" missing: name the address column the row does have (City, …).
        fallback = address_columns[0] if address_columns else name
        errors.append((_column_of(values, name, fallback, mapping), message))
    tags = [clean(t)[:64] for t in one("tags", 2000).split(",") if clean(t)]
    if errors:
        return None, errors
    return (
        CleanContact(
            first_name=first,
            last_name=last,
            full_name=full,
            title=one("title", 120),
            company_name=one("company", 200),
            lifecycle_stage=stage,
            emails=emails,
            phones=phones,
            addresses=addresses,
            tags=tags,
        ),
        [],
    )


def company_row_clean(
    row: Sequence[str], header: Sequence[str], mapping: dict[str, str]
) -> tuple[dict[str, str] | None, list[tuple[str, str]]]:
    values = _values(row, header, mapping)
    errors: list[tuple[str, str]] = []
    name = clean(values["name"][0][1]) if values.get("name") else ""
    if not name:
        errors.append((_column_of(values, "name", "name"), _("Enter a name.")))
    elif len(name) > 200:
        errors.append((values["name"][0][0], _("Use at most %(n)d characters.") % {"n": 200}))
    domain = ""
    if values.get("domain"):
        try:
            domain = domain_normalise(values["domain"][0][1])
        except ValueError as exc:
            errors.append((values["domain"][0][0], str(exc)))
    size = clean(values["size"][0][1]) if values.get("size") else ""
    if size and size not in Company.Size.values:
        errors.append((values["size"][0][0], _("Choose a valid company size.")))
    industry = clean(values["industry"][0][1])[:80] if values.get("industry") else ""
    if errors:
        return None, errors
    return {"name": name, "domain": domain, "industry": industry, "size": size}, []


def import_preview(*, by: User, job_id: int, limit: int = 20) -> Preview:
    """The first `limit` rows as mapped, and the validation of the first PREVIEW_VALIDATE rows:
    which rows fail and why (row number, column, message)."""
    job = _job_for(by=by, job_id=job_id)
    table = _table(job)
    errors: list[RowError] = []
    valid = 0
    checked = min(len(table.rows), PREVIEW_VALIDATE)
    undecodable = set(table.undecodable)
    first_column = table.header[0] if table.header else ""
    errors += [
        RowError(number, first_column, _undecodable_message())
        for number in table.numbers[:checked]
        if number in undecodable
    ]
    if job.kind in records.CHECKS:
        for item in records.CHECKS[job.kind](
            by, table.header, table.rows[:checked], table.numbers[:checked], job.mapping
        ):
            errors += [RowError(item.number, column, message) for column, message in item.problems]
            valid += not item.problems and item.number not in undecodable
    else:
        clean_row = contact_row_clean if job.kind == ImportJob.Kind.CONTACTS else company_row_clean
        for number, row in zip(table.numbers[:checked], table.rows[:checked], strict=True):
            result, problems = clean_row(row, table.header, job.mapping)
            if result is None:
                errors += [RowError(number, column, message) for column, message in problems]
            else:
                valid += number not in undecodable
    return Preview(
        header=table.header,
        mapping=job.mapping,
        rows=table.rows[:limit],
        total=len(table.rows),
        valid=valid,
        checked=checked,
        errors=sorted(errors, key=lambda e: e.row),
        warnings=table.warnings,
        numbers=table.numbers[:limit],
    )


# --- running ----------------------------------------------------------------------------------


def import_queue(*, by: User, job_id: int) -> ImportJob:
    """Hand the import to the background worker; the page polls its progress."""
    from kith.intake.tasks import import_run_task

    job = _job_for(by=by, job_id=job_id)
    if job.status != ImportJob.Status.UPLOADED:
        raise FieldError.one("status", _("This import has already run."))
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["status"])
    transaction.on_commit(lambda: import_run_task.enqueue(job.pk, by.pk))
    return job


def import_resume(*, by: User, job_id: int) -> ImportJob:
    """Queue a failed import again from the row after the last one it finished (what it wrote
    stays; its error file goes on)."""
    from kith.intake.tasks import import_run_task

    job = _job_for(by=by, job_id=job_id)
    if job.status != ImportJob.Status.FAILED or not 0 < job.processed < job.total:
        raise FieldError.one("status", _("Only an import that stopped part-way can resume."))
    job.status = ImportJob.Status.QUEUED
    job.message = ""
    job.finished_at = None
    job.save(update_fields=["status", "message", "finished_at"])
    transaction.on_commit(lambda: import_run_task.enqueue(job.pk, by.pk))
    return job


def import_run(*, by: User, job_id: int, progress: Progress | None = None) -> ImportJob:
    """Import every valid row; failing rows go to the error file. Batches of BATCH rows are
    each one transaction; a failure of the database stops the job as failed, and undo removes
    what earlier batches wrote."""
    job = _job_for(by=by, job_id=job_id)
    if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.QUEUED):
        raise FieldError.one("status", _("This import has already run."))
    require(by, job.kind, "create")
    table = _table(job)
    # A resumed import goes on after the rows its earlier run finished, keeping their errors.
    resumed = job.processed
    job.status = ImportJob.Status.RUNNING
    job.total = len(table.rows)
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "total", "heartbeat_at"])
    errors_out = io.StringIO()
    if resumed and job.errors_csv:
        errors_out.write(job.errors_csv)
    writer = csv.writer(errors_out)
    if not errors_out.tell():
        writer.writerow([_("row"), _("column"), _("error"), *table.header])
    run = {
        ImportJob.Kind.CONTACTS: _contacts_batch,
        ImportJob.Kind.COMPANIES: _companies_batch,
    }.get(job.kind, _records_batch)  # type: ignore[arg-type]
    undecodable = set(table.undecodable)
    first_column = table.header[0] if table.header else ""
    try:
        for start, end in _batches(job, table, start=resumed):
            chunk, numbers = table.rows[start:end], table.numbers[start:end]
            if undecodable.intersection(numbers):
                for number, row in zip(numbers, chunk, strict=True):
                    if number in undecodable:
                        cells = (cell_neutralise(c) for c in row)
                        writer.writerow([number, first_column, _undecodable_message(), *cells])
                        job.error_count += 1
                kept = [i for i, n in enumerate(numbers) if n not in undecodable]
                chunk, numbers = [chunk[i] for i in kept], [numbers[i] for i in kept]
            failures = run(job, by, table.header, chunk, numbers=numbers) if chunk else []
            for number, column, message, row in failures:
                writer.writerow([number, column, message, *(cell_neutralise(c) for c in row)])
            job.processed = end
            job.heartbeat_at = timezone.now()
            # The error file so far goes with the counts, so a killed run can resume.
            job.errors_csv = errors_out.getvalue() if job.error_count else ""
            job.save(
                update_fields=[
                    "processed",
                    "created_count",
                    "updated_count",
                    "skipped_count",
                    "error_count",
                    "created_ranges",
                    "heartbeat_at",
                    "errors_csv",
                ]
            )
            if progress:
                progress(job.processed, job.total)
    except Exception as exc:
        job.status = ImportJob.Status.FAILED
        job.message = str(exc)[:2000]
        job.errors_csv = errors_out.getvalue()
        job.finished_at = timezone.now()
        job.save()
        raise
    sequences_reset([Company, Contact])
    job.status = ImportJob.Status.DONE
    job.errors_csv = errors_out.getvalue() if job.error_count else ""
    job.finished_at = timezone.now()
    job.save()
    security_event_record(
        kind=SecurityEvent.Kind.IMPORT,
        actor=by,
        target=f"import:{job.pk}",
        detail={"kind": job.kind, "created": job.created_count, "errors": job.error_count},
    )
    return job


Failure = tuple[int, str, str, Sequence[str]]


def _batches(job: ImportJob, table: Table, *, start: int = 0) -> Iterable[tuple[int, int]]:
    """(start, end) of each batch of about BATCH rows from row index `start`; in an order file
    a batch never splits the rows of one order number (they are one order with several lines)."""
    number_column = next(
        (i for i, c in enumerate(table.header) if job.mapping.get(c) == "number"), None
    )
    while start < len(table.rows):
        end = min(start + BATCH, len(table.rows))
        if job.kind == ImportJob.Kind.ORDERS and number_column is not None:

            def number(i: int) -> str:
                row = table.rows[i]
                return row[number_column].strip() if number_column < len(row) else ""

            while end < len(table.rows) and number(end) and number(end) == number(end - 1):
                end += 1
        yield start, end
        start = end


def _records_batch(
    job: ImportJob, by: User, header: list[str], rows: list[list[str]], *, numbers: list[int]
) -> list[Failure]:
    """A batch of leads, orders or interactions: checked, then written by their services."""
    checked = records.CHECKS[job.kind](by, header, rows, numbers, job.mapping)
    failures: list[Failure] = []
    failed_rows: set[int] = set()
    valid = []
    for item in checked:
        if item.problems:
            failures += [(item.number, c, m, item.row) for c, m in item.problems]
            failed_rows.add(item.number)
        else:
            valid.append(item)
    outcome = records.WRITERS[job.kind](by, valid, job.on_duplicate, job.mapping)
    failures += outcome.failures
    failed_rows.update(number for number, *_rest in outcome.failures)
    job.error_count += len(failed_rows)
    job.skipped_count += outcome.skipped
    job.created_count += len(outcome.created_ids)
    job.updated_count += len(outcome.updated)
    job.created_ranges = records.ranges_add(job.created_ranges, outcome.created_ids)
    model = records.MODELS[job.kind]._meta.label_lower
    ImportUpdate.objects.bulk_create(
        [ImportUpdate(job=job, model=model, record_id=pk, before=b) for pk, b in outcome.updated]
    )
    return sorted(failures, key=lambda f: f[0])


def _existing_by_point(by: User, kind: str, values: Iterable[str]) -> dict[str, int]:
    """value -> id of a contact `by` may see that has this email/phone (lowest id first)."""
    values = list(set(values))
    if not values:
        return {}
    # The (kind, value) index finds the few matching points; the scope filter then runs on
    # those contacts only (a subquery over every visible contact would scan the table).
    hits: list[tuple[str, int]] = []
    for start in range(0, len(values), 500):
        hits += ContactPoint.objects.filter(
            kind=kind, value__in=values[start : start + 500]
        ).values_list("value", "contact_id")
    if not hits:
        return {}
    ids = sorted({contact_id for _v, contact_id in hits})
    visible: set[int] = set()
    scope = visible_to(Contact.objects.all(), user=by, module="contacts")
    for start in range(0, len(ids), 500):
        visible.update(scope.filter(pk__in=ids[start : start + 500]).values_list("pk", flat=True))
    found: dict[str, int] = {}
    for value, contact_id in sorted(hits, key=lambda h: h[1]):
        if contact_id in visible:
            found.setdefault(value, contact_id)
    return found


def _contacts_batch(
    job: ImportJob, by: User, header: list[str], rows: list[list[str]], *, numbers: list[int]
) -> list[Failure]:
    failures: list[Failure] = []
    cleaned: list[tuple[int, CleanContact]] = []
    for offset, row in enumerate(rows):
        result, problems = contact_row_clean(row, header, job.mapping)
        if result is None:
            failures += [(numbers[offset], c, m, row) for c, m in problems]
            job.error_count += 1
        else:
            cleaned.append((numbers[offset], result))
    emails = _existing_by_point(
        by, ContactPoint.Kind.EMAIL, (p.value for _n, c in cleaned for p in c.emails)
    )
    phones = _existing_by_point(
        by, ContactPoint.Kind.PHONE, (p.value for _n, c in cleaned for p in c.phones)
    )
    companies = _companies_by_name(by, {c.company_name for _n, c in cleaned if c.company_name})
    to_create: list[CleanContact] = []
    seen_in_file: dict[str, int] = {}
    for _number, contact in cleaned:
        keys = [p.value for p in contact.emails] + [p.value for p in contact.phones]
        existing = next(
            (emails.get(p.value) for p in contact.emails if p.value in emails), None
        ) or next((phones.get(p.value) for p in contact.phones if p.value in phones), None)
        in_file = any(k in seen_in_file for k in keys)
        if existing is None and in_file and job.on_duplicate != ImportJob.OnDuplicate.CREATE:
            job.skipped_count += 1  # the same person twice in one file: the first row wins
            continue
        if existing is not None and job.on_duplicate == ImportJob.OnDuplicate.SKIP:
            job.skipped_count += 1
            continue
        if existing is not None and job.on_duplicate == ImportJob.OnDuplicate.MERGE:
            _contact_fill(job, by, existing, contact)
            continue
        for k in keys:
            seen_in_file.setdefault(k, 1)
        to_create.append(contact)
    if to_create:
        _contacts_write(job, by, to_create, companies)
    return failures


def _companies_by_name(by: User, names: set[str]) -> dict[str, tuple[int, str]]:
    if not names:
        return {}
    folded = {fold(n): n for n in names}
    visible = visible_to(Company.objects.all(), user=by, module="companies")
    found: dict[str, tuple[int, str]] = {}
    for pk, sort_name, name in visible.filter(sort_name__in=list(folded)).values_list(
        "pk", "sort_name", "name"
    ):
        found.setdefault(sort_name, (pk, name))
    return found


def _contacts_write(
    job: ImportJob, by: User, contacts: list[CleanContact], companies: dict[str, tuple[int, str]]
) -> None:
    with transaction.atomic():
        base = next_id(Contact)
        tags = tag_ids(sorted({t for c in contacts for t in c.tags}))
        contact_rows, point_rows, address_rows, tag_rows = [], [], [], []
        for offset, c in enumerate(contacts):
            pk = base + offset
            company_id, company_name = companies.get(fold(c.company_name), (None, ""))
            keys = contact_index_fields(
                first_name=c.first_name,
                last_name=c.last_name,
                full_name=c.full_name,
                emails=[p.value for p in c.emails],
                phones=[p.value for p in c.phones],
                company_name=company_name,
            )
            contact_rows.append(
                (
                    pk,
                    by.pk,
                    by.team_id,
                    c.first_name,
                    c.last_name,
                    c.full_name,
                    c.title,
                    company_id,
                    c.lifecycle_stage,
                    Contact.Channel.IMPORT,
                    {},
                    c.emails[0].value if c.emails else "",
                    c.phones[0].value if c.phones else "",
                    keys["sort_name"],
                    keys["order_name"],
                    keys["first_key"],
                    keys["last_key"],
                    keys["search_text"],
                )
            )
            point_rows += [
                (pk, p.kind, p.label, p.value, p.is_primary) for p in (*c.emails, *c.phones)
            ]
            address_rows += [
                tuple([pk] + [row[a] for a in ADDRESS_ATTRS[1:]]) for row in c.addresses
            ]
            tag_rows += [(pk, tags[t]) for t in dict.fromkeys(c.tags)]
        with search_index_batched(Contact):
            rows_insert(Contact, CONTACT_ATTRS, contact_rows)
        rows_insert(ContactPoint, POINT_ATTRS, point_rows)
        from kith.customers.models import Address

        rows_insert(Address, ADDRESS_ATTRS, address_rows)
        rows_insert(Contact.tags.through, ("contact_id", "tag_id"), tag_rows)
        created_record(Contact, [row[0] for row in contact_rows], by)
        job.created_ranges = [*job.created_ranges, [base, base + len(contacts) - 1]]
        job.created_count += len(contacts)


_FILLABLE = ("first_name", "last_name", "title")


def _contact_fill(job: ImportJob, by: User, contact_id: int, row: CleanContact) -> None:
    """Merge a row into an existing contact: empty fields filled, new emails/phones added (not
    primary). What it was before is recorded for undo."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        before = fields_snapshot(contact)
        have = set(ContactPoint.objects.filter(contact_id=contact_id).values_list("kind", "value"))
        new_points = [
            ContactPoint(contact_id=contact_id, kind=p.kind, value=p.value, label=p.label)
            for p in (*row.emails, *row.phones)
            if (p.kind, p.value) not in have
        ]
        changed = False
        for name in _FILLABLE:
            if not getattr(contact, name) and getattr(row, name):
                setattr(contact, name, getattr(row, name))
                changed = True
        if not (changed or new_points):
            job.skipped_count += 1
            return
        ContactPoint.objects.bulk_create(new_points)
        points = list(ContactPoint.objects.filter(contact_id=contact_id))
        keys = contact_index_fields(
            first_name=contact.first_name,
            last_name=contact.last_name,
            full_name=contact.full_name,
            emails=[p.value for p in points if p.kind == ContactPoint.Kind.EMAIL],
            phones=[p.value for p in points if p.kind == ContactPoint.Kind.PHONE],
            company_name=contact.company.name if contact.company_id and contact.company else "",
        )
        for name, value in keys.items():
            setattr(contact, name, value)
        contact.version += 1
        contact.save()
        ImportUpdate.objects.create(
            job=job,
            model="customers.contact",
            record_id=contact_id,
            before={"fields": before, "added_points": [p.pk for p in new_points]},
        )
        ChangeRecord.objects.create(
            model="customers.contact",
            object_id=contact_id,
            action="update",
            field="import",
            new_value=job.filename[:200],
            actor=by,
        )
        job.updated_count += 1


def _companies_batch(
    job: ImportJob, by: User, header: list[str], rows: list[list[str]], *, numbers: list[int]
) -> list[Failure]:
    failures: list[Failure] = []
    cleaned = []
    for offset, row in enumerate(rows):
        result, problems = company_row_clean(row, header, job.mapping)
        if result is None:
            failures += [(numbers[offset], c, m, row) for c, m in problems]
            job.error_count += 1
        else:
            cleaned.append(result)
    visible = visible_to(Company.objects.all(), user=by, module="companies")
    names = {fold(c["name"]) for c in cleaned}
    domains = {c["domain"] for c in cleaned if c["domain"]}
    existing = list(
        visible.filter(Q(sort_name__in=names) | Q(domain__in=domains))
        .order_by("pk")
        .values_list("pk", "sort_name", "domain")
    )
    existing_names: dict[str, int | None] = {}
    existing_domains: dict[str, int | None] = {}
    for pk, sort_name, domain in existing:
        existing_names.setdefault(sort_name, pk)
        if domain:
            existing_domains.setdefault(domain, pk)
    to_create = []
    for company in cleaned:
        key = fold(company["name"])
        duplicate = key in existing_names or (
            company["domain"] and company["domain"] in existing_domains
        )
        if duplicate and job.on_duplicate != ImportJob.OnDuplicate.CREATE:
            match = existing_domains.get(company["domain"]) or existing_names.get(key)
            if job.on_duplicate == ImportJob.OnDuplicate.MERGE and match is not None:
                _company_fill(job, by, match, company)
            else:
                job.skipped_count += 1  # a company earlier in this file, or skip chosen
            continue
        existing_names.setdefault(key, None)
        to_create.append(company)
    if to_create:
        with transaction.atomic():
            base = next_id(Company)
            objs = [
                Company(
                    id=base + i,
                    owner=by,
                    team_id=by.team_id,
                    custom={},
                    **c,
                    **company_index_fields(name=c["name"], domain=c["domain"]),
                )
                for i, c in enumerate(to_create)
            ]
            with search_index_batched(Company):
                Company.objects.bulk_create(objs)
            created_record(Company, [o.pk for o in objs], by)
            job.created_ranges = [*job.created_ranges, [base, base + len(objs) - 1]]
            job.created_count += len(objs)
    return failures


def _company_fill(job: ImportJob, by: User, company_id: int, row: dict[str, str]) -> None:
    """Merge a row into an existing company: its empty domain, industry and size filled in.
    What it was before is recorded for undo."""
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company_id)
        before = fields_snapshot(company)
        changed = [n for n in ("domain", "industry", "size") if row[n] and not getattr(company, n)]
        if not changed:
            job.skipped_count += 1
            return
        for name in changed:
            setattr(company, name, row[name])
        for name, value in company_index_fields(name=company.name, domain=company.domain).items():
            setattr(company, name, value)
        company.version += 1
        company.save()
        ImportUpdate.objects.create(
            job=job,
            model="customers.company",
            record_id=company_id,
            before={"fields": before, "added_points": []},
        )
        ChangeRecord.objects.create(
            model="customers.company",
            object_id=company_id,
            action="update",
            field="import",
            new_value=job.filename[:200],
            actor=by,
        )
        job.updated_count += 1


def fields_snapshot(instance: Any) -> dict[str, Any]:
    """Every concrete field but the primary key, as JSON-safe values (see fields_restore)."""
    values = {}
    for f in instance._meta.concrete_fields:
        if f.primary_key:
            continue
        raw = getattr(instance, f.attname)
        values[f.attname] = (
            raw
            if f.get_internal_type() == "JSONField"
            else f.value_to_string(instance)
            if raw is not None
            else None
        )
    return values


def fields_restore(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The model values of a fields_snapshot, for QuerySet.update (which leaves auto_now
    columns as given)."""
    restored = {}
    for f in model._meta.concrete_fields:
        if f.attname in values:
            raw = values[f.attname]
            restored[f.attname] = (
                raw if raw is None or f.get_internal_type() == "JSONField" else f.to_python(raw)
            )
    return restored


# --- undo -------------------------------------------------------------------------------------


@transaction.atomic
def import_undo(*, by: User, job_id: int) -> ImportJob:
    """Remove what the import created and put back what it changed: the state before it."""
    job = _job_for(by=by, job_id=job_id)
    if job.status not in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        raise FieldError.one("status", _("Only a finished import can be undone."))
    if job.kind in records.MODELS:
        records.records_undo(job.kind, job.created_ranges, list(job.updates.order_by("-pk")))
        job.status = ImportJob.Status.UNDONE
        job.save(update_fields=["status"])
        return job
    model: type[Contact] | type[Company] = (
        Contact if job.kind == ImportJob.Kind.CONTACTS else Company
    )
    label = model._meta.label_lower
    for first, last in job.created_ranges:
        ids = Q(pk__gte=first, pk__lte=last)
        model.objects.filter(ids).delete()
        ChangeRecord.objects.filter(model=label, object_id__gte=first, object_id__lte=last).delete()
    for update in job.updates.order_by("-pk"):
        ContactPoint.objects.filter(pk__in=update.before["added_points"]).delete()
        model.objects.filter(pk=update.record_id).update(
            **fields_restore(model, update.before["fields"])
        )
        ChangeRecord.objects.filter(
            model=label, object_id=update.record_id, field="import", actor=job.created_by
        ).delete()
    job.status = ImportJob.Status.UNDONE
    job.save(update_fields=["status"])
    return job


def import_jobs(*, by: User, limit: int = 50) -> list[ImportJob]:
    """The user's recent imports (a stalled running one shows as failed)."""
    imports_stalled_fail()
    return _import_jobs(by=by, limit=limit)


def _import_jobs(*, by: User, limit: int = 50) -> list[ImportJob]:
    """The user's imports, newest first (all of them for superusers)."""
    require(by, "imports", "read")
    jobs = ImportJob.objects.defer("content", "errors_csv", "table_data").order_by("-pk")
    if not by.is_superuser:
        jobs = jobs.filter(created_by=by)
    return list(jobs[:limit])


def import_get(*, by: User, job_id: int) -> ImportJob:
    return _job_for(by=by, job_id=job_id)


def mapping_templates(*, by: User, kind: str) -> list[MappingTemplate]:
    """The mappings `by` saved for files of `kind`, by name."""
    return list(MappingTemplate.objects.filter(created_by=by, kind=kind).order_by("name", "-pk"))


def mapping_template_get(*, by: User, kind: str, name: str) -> MappingTemplate:
    """`by`'s latest saved mapping called `name` for `kind` (NotFound otherwise)."""
    template = (
        MappingTemplate.objects.filter(created_by=by, kind=kind, name=clean(name))
        .order_by("-pk")
        .first()
    )
    if template is None:
        raise NotFound(_("You have no saved mapping called “%(n)s”.") % {"n": name})
    return template
