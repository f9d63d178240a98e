"""Background work of intake: imports and duplicate runs (thin wrappers around services)."""

from __future__ import annotations

from django_tasks import task


@task()
def import_run_task(job_id: int, user_id: int) -> int:
    from kith.identity.models import User
    from kith.intake.imports import import_run

    job = import_run(by=User.objects.get(pk=user_id), job_id=job_id)
    return job.created_count


@task()
def import_read_task(job_id: int) -> str:
    """Read a large uploaded file once, in the worker."""
    from kith.intake.imports import import_read

    return import_read(job_id=job_id).status


@task()
def imports_stalled_fail_task() -> int:
    """Mark running imports whose run stopped beating as failed (undo or resume them)."""
    from kith.intake.imports import imports_stalled_fail

    return imports_stalled_fail()


@task()
def dedupe_run_task(user_id: int, threshold: float = 0.9) -> int:
    from kith.identity.models import User
    from kith.intake.dedupe import dedupe_run_contacts

    run = dedupe_run_contacts(by=User.objects.get(pk=user_id), threshold=threshold)
    return run.pk


@task()
def backup_scheduled_task() -> str:
    """The nightly backup of `kith worker` (KITH_BACKUP_AT), with its retention."""
    from kith.intake.backup_runs import backup_run
    from kith.intake.models import BackupRecord

    result, _record = backup_run(trigger=BackupRecord.Trigger.SCHEDULE)
    return str(result.path)


@task()
def retention_task() -> dict[str, int]:
    """The nightly retention rules (kith.intake.retention)."""
    from kith.intake.retention import retention_apply

    return retention_apply()
