"""Imports: upload, mapping guess, preview, run, cancel, resume, error file, undo.

Every kind goes through kith.intake.pipeline: the kind's own spec (kith.core.importing, named
on its app's ImportKind door) checks the rows with that app's validation and writes them in
bulk. Each batch is one transaction; a row that fails goes to the error file with its reason,
the others are imported. The run beats after every batch: a killed run is marked failed and
can be undone or resumed; a cancelled one stops after its current batch the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.doors import import_kinds
from kith.core.errors import FieldError, NotFound
from kith.core.importing import ImportContext, fields_restore, fields_snapshot
from kith.core.text import clean
from kith.identity.access import require
from kith.identity.models import User
from kith.intake import pipeline
from kith.intake.import_duplicates import choices_check, contact_matcher, import_matches
from kith.intake.models import ImportJob, MappingTemplate
from kith.intake.pipeline import field_labels, fields_for, mapping_guess, spec_for
from kith.intake.reading import Table, TableError, table_pack, table_read, table_unpack

__all__ = [
    "field_labels",
    "fields_for",
    "fields_restore",
    "fields_snapshot",
    "mapping_guess",
]

Progress = Callable[[int, int], None]
BATCH = 2000
# Rows per batch of kinds written in bulk (contacts, companies, orders).
BULK_BATCH = 20_000
PREVIEW_VALIDATE = 10_000
# A running import whose run has not beaten for this long was killed (worker stopped, server
# restarted): it is marked failed, and can be undone or resumed.
STALLED_AFTER = dt.timedelta(minutes=10)
COUNT_FIELDS = ("created_count", "updated_count", "skipped_count", "error_count")


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
    # Rows that are (exact) or may be (similar name) a record already in the base, with the
    # choice for each (kith.intake.import_duplicates.Match).
    matches: list[Any] = field(default_factory=list)


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
    if kind not in import_kinds():
        raise FieldError.one("kind", _("Choose what the rows are."))
    spec_for(kind)
    require(by, _module(kind), "create")
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


# --- preview ----------------------------------------------------------------------------------


def _module(kind: str) -> str:
    """The access module an import of `kind` needs rights on."""
    return import_kinds()[kind].module


def _model(kind: str) -> Any:
    from django.apps import apps

    return apps.get_model(import_kinds()[kind].model)


def import_preview(*, by: User, job_id: int, limit: int = 20, matched: bool = False) -> Preview:
    """The first `limit` rows as mapped, and the validation of the first PREVIEW_VALIDATE rows:
    which rows fail and why (row number, column, message), through the same checks as the run;
    with `matched`, the rows that are or may be records already in the base."""
    job = _job_for(by=by, job_id=job_id)
    table = _table(job)
    spec = spec_for(job.kind)
    checked = min(len(table.rows), PREVIEW_VALIDATE)
    undecodable = set(table.undecodable)
    first_column = table.header[0] if table.header else ""
    errors = [
        RowError(number, first_column, _undecodable_message())
        for number in table.numbers[:checked]
        if number in undecodable
    ]
    ctx = _context(job, by)
    items = pipeline.rows_check(
        spec, table.header, job.mapping, table.rows[:checked], table.numbers[:checked]
    )
    if spec.batch_check is not None:
        spec.batch_check(ctx, items)
    valid = 0
    for item in items:
        errors += [RowError(item.number, column, message) for column, message in item.problems]
        valid += not item.problems and item.number not in undecodable
    matches = import_matches(job=job, by=by, items=items, spec=spec, ctx=ctx) if matched else []
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
        matches=matches,
    )


def import_choices_set(
    *, by: User, job_id: int, choices: dict[str, str], on_fuzzy: str | None = None
) -> ImportJob:
    """The user's choice for rows with a possible duplicate ({row number: "skip" | "create" |
    "merge:<record id>"}, kept with the earlier ones) and the policy for similar names."""
    job = _job_for(by=by, job_id=job_id)
    if job.status != ImportJob.Status.UPLOADED:
        raise FieldError.one("choices", _("This import has already run."))
    if on_fuzzy:
        if on_fuzzy not in ImportJob.OnDuplicate.values:
            raise FieldError.one("on_fuzzy", _("Choose skip, merge or create."))
        job.on_fuzzy = on_fuzzy
    job.choices = {**(job.choices or {}), **choices_check(by=by, job=job, choices=choices)}
    job.save(update_fields=["choices", "on_fuzzy"])
    return job


def _context(job: ImportJob, by: User) -> ImportContext:
    spec = spec_for(job.kind)
    return ImportContext(
        by=by,
        policy=job.on_duplicate,
        mapping=job.mapping,
        filename=job.filename,
        on_fuzzy=job.on_fuzzy,
        # Rows naming a contact (orders, interactions) attach to one of a similar name only
        # when the user chose to merge similar names.
        contact_match=contact_matcher(by) if job.on_fuzzy == "merge" and not spec.person else None,
    )


# --- undo -------------------------------------------------------------------------------------


@transaction.atomic
def import_undo(*, by: User, job_id: int) -> ImportJob:
    """Remove what the import created and put back what it changed: the state before it."""
    job = _job_for(by=by, job_id=job_id)
    if job.status not in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        raise FieldError.one("status", _("Only a finished import can be undone."))
    spec_for(job.kind).undo(
        job.created_ranges, list(job.updates.order_by("-pk")), job.created_by_id
    )
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


# The run's half (queue, resume, cancel, run) lives in kith.intake.import_run.
from kith.intake.import_run import (  # noqa: E402
    import_cancel,
    import_queue,
    import_resume,
    import_run,
)

__all__ += ["import_cancel", "import_queue", "import_resume", "import_run"]
