"""Running an import (kith.intake.imports has the rest of its life): queue, run batch by batch
through kith.intake.pipeline with a heartbeat and the error file kept so far, cancel, resume.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.bulk import secondary_indexes_deferred, sequences_reset
from kith.core.errors import FieldError
from kith.core.importing import ImportContext, ranges_add
from kith.identity.access import require
from kith.identity.models import SecurityEvent, User
from kith.identity.security import security_event_record
from kith.intake import imports, pipeline
from kith.intake.exporting import cell_neutralise
from kith.intake.imports import (
    Progress,
    _context,
    _job_for,
    _model,
    _module,
    _table,
    _undecodable_message,
)
from kith.intake.models import ImportJob, ImportUpdate
from kith.intake.pipeline import spec_for
from kith.intake.reading import Table

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


def _stopped_message(job: ImportJob) -> str:
    return _(
        "Stopped after %(done)s of %(total)s rows. Undo what it wrote, or resume it from row "
        "%(next)s."
    ) % {"done": job.processed, "total": job.total, "next": job.processed + 1}


def import_cancel(*, by: User, job_id: int) -> ImportJob:
    """Stop a queued or running import: a running one stops after the batch it is writing
    (each batch is one transaction, so nothing is half-written) and can then be undone or
    resumed like one that failed."""
    job = _job_for(by=by, job_id=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        raise FieldError.one("status", _("Only a queued or running import can be stopped."))
    job.status = ImportJob.Status.FAILED
    job.message = _stopped_message(job)
    job.finished_at = timezone.now()
    ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=job.status, message=job.message, finished_at=job.finished_at)
    return job


class _Cancelled(Exception):
    pass


def import_run(*, by: User, job_id: int, progress: Progress | None = None) -> ImportJob:
    """Import every valid row; failing rows go to the error file. Batches of BATCH rows are
    each one transaction; a failure of the database stops the job as failed, and undo removes
    what earlier batches wrote. Into empty tables (a first load) their plain indexes are
    built once at the end."""
    job = _job_for(by=by, job_id=job_id)
    if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.QUEUED):
        raise FieldError.one("status", _("This import has already run."))
    require(by, _module(job.kind), "create")
    spec = spec_for(job.kind)
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
    ctx = _context(job, by)
    try:
        large = len(table.rows) - resumed >= pipeline.PARALLEL_FROM and not resumed
        deferred = secondary_indexes_deferred(spec.tables) if large and spec.tables else None
        with deferred or _nothing() as first_load:
            ctx.first_load = bool(first_load)
            _batches_run(job, spec, ctx, table, writer, errors_out, resumed, progress)
    except _Cancelled:
        job.refresh_from_db()
        job.errors_csv = errors_out.getvalue()
        job.save(update_fields=["errors_csv"])
        return job
    except (Exception, KeyboardInterrupt) as exc:  # Ctrl-C in the CLI stops it as cancelled
        # The failed batch rolled back: its counts in memory go with it.
        job.refresh_from_db(fields=[*imports.COUNT_FIELDS, "processed", "created_ranges"])
        job.status = ImportJob.Status.FAILED
        job.message = (
            _stopped_message(job) if isinstance(exc, KeyboardInterrupt) else str(exc)[:2000]
        )
        job.errors_csv = errors_out.getvalue()
        job.finished_at = timezone.now()
        job.save()
        raise
    sequences_reset([_model(job.kind)])
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


class _nothing:
    def __enter__(self) -> bool:
        return False

    def __exit__(self, *exc: object) -> None:
        return None


def _batches_run(
    job: ImportJob, spec: Any, ctx: ImportContext, table: Table, writer: Any,
    errors_out: io.StringIO, resumed: int, progress: Progress | None,
) -> None:  # fmt: skip
    undecodable = set(table.undecodable)
    first_column = table.header[0] if table.header else ""
    label = _model(job.kind)._meta.label_lower
    choices = {str(k): v for k, v in (job.choices or {}).items()}
    with pipeline.Checker(spec, table.header, job.mapping, table.rows, table.numbers) as checker:
        checker.start_at(resumed)
        for start, end in pipeline.batches(
            spec,
            table.header,
            job.mapping,
            table.rows,
            start=resumed,
            size=imports.BULK_BATCH if spec.bulk else imports.BATCH,
        ):
            if not ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).exists():
                raise _Cancelled  # stopped (import_cancel) after the previous batch
            checked = checker.batch(start, end)
            if undecodable.intersection(table.numbers[start:end]):
                for item in checked:
                    if item.number in undecodable:
                        cells = (cell_neutralise(c) for c in item.row)
                        writer.writerow([item.number, first_column, _undecodable_message(), *cells])
                        job.error_count += 1
                checked = [item for item in checked if item.number not in undecodable]
            fuzzy = _fuzzy_matches(spec, ctx, checked) if job.on_fuzzy != "create" else {}
            # The batch's rows and the job's counts commit together: a run killed between
            # them would leave rows its resume writes again (tests/intake/test_crash.py).
            with transaction.atomic():
                result = pipeline.batch_run(spec, ctx, checked, choices=choices, fuzzy=fuzzy)
                for number, column, message, row in result.failures:
                    writer.writerow([number, column, message, *(cell_neutralise(c) for c in row)])
                job.error_count += result.error_rows
                job.skipped_count += result.skipped
                job.created_count += len(result.created_ids)
                job.updated_count += len(result.updated)
                job.created_ranges = ranges_add(job.created_ranges, result.created_ids)
                ImportUpdate.objects.bulk_create(
                    [
                        ImportUpdate(job=job, model=label, record_id=pk, before=b)
                        for pk, b in result.updated
                    ]
                )
                job.processed = end
                job.heartbeat_at = timezone.now()
                # The error file so far goes with the counts, so a killed run can resume.
                job.errors_csv = errors_out.getvalue() if job.error_count else ""
                saved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
                    processed=job.processed,
                    created_count=job.created_count,
                    updated_count=job.updated_count,
                    skipped_count=job.skipped_count,
                    error_count=job.error_count,
                    created_ranges=job.created_ranges,
                    heartbeat_at=job.heartbeat_at,
                    errors_csv=job.errors_csv,
                )
                if not saved:  # cancelled (or marked stalled) while this batch was written
                    ImportJob.objects.filter(pk=job.pk).update(
                        processed=job.processed,
                        created_count=job.created_count,
                        updated_count=job.updated_count,
                        skipped_count=job.skipped_count,
                        error_count=job.error_count,
                        created_ranges=job.created_ranges,
                        message=_stopped_message(job),
                    )
            if not saved:  # cancelled (or marked stalled) while this batch was written
                raise _Cancelled
            if progress:
                progress(job.processed, job.total)


Failure = tuple[int, str, str, Sequence[str]]


def _fuzzy_matches(spec: Any, ctx: ImportContext, checked: list[Any]) -> dict[int, int]:
    from kith.intake.import_duplicates import fuzzy_matches

    return fuzzy_matches(spec, ctx, checked)
