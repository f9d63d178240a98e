"""Backups as Kith's operations see them: a backup run (write, record, prune old ones, audit),
a restore run, and what the admin page shows (the last backups, a warning when too old)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from kith.identity.access import admin_require
from kith.identity.models import SecurityEvent, User
from kith.identity.security import security_event_record
from kith.intake.backup import (
    BackupResult,
    backup_age_warning,
    backup_restore,
    backup_write,
    backups_prune,
)
from kith.intake.models import BackupRecord


def backup_run(
    *, by: User | None = None, to: Path | None = None, trigger: str = BackupRecord.Trigger.COMMAND
) -> tuple[BackupResult, BackupRecord]:
    """Write a backup, record it, and prune the folder's older backups to the retention of
    KITH_BACKUP_KEEP_DAILY days and KITH_BACKUP_KEEP_WEEKLY weeks."""
    result = backup_write(to=to)
    pruned = backups_prune(
        folder=result.path.parent,
        daily=settings.KITH_BACKUP_KEEP_DAILY,
        weekly=settings.KITH_BACKUP_KEEP_WEEKLY,
    )
    manifest = result.manifest
    record = BackupRecord.objects.create(
        created_at=manifest["created_at"],
        path=str(result.path),
        size_bytes=result.path.stat().st_size,
        engine=manifest["engine"],
        tables=len(manifest["tables"]),
        rows=result.rows,
        sha256=manifest["database_sha256"],
        trigger=trigger,
        pruned=len(pruned),
    )
    security_event_record(
        kind=SecurityEvent.Kind.BACKUP,
        actor=by,
        target=f"backup:{record.pk}",
        detail={"trigger": trigger, "tables": record.tables, "rows": record.rows},
    )
    return result, record


def backup_restore_run(*, path: Path, url: str | None = None) -> dict[str, Any]:
    """Restore `path` into the empty database at `url` (verified against its manifest)."""
    return backup_restore(path=path, url=url)


@dataclass(frozen=True)
class BackupStatus:
    recent: list[BackupRecord]
    too_old: bool
    warn_hours: int
    folder: str


def backup_status(*, by: User, limit: int = 10) -> BackupStatus:
    """The last backups, newest first, and whether the newest is too old (admins only)."""
    admin_require(by)
    recent = list(BackupRecord.objects.order_by("-created_at", "-id")[:limit])
    return BackupStatus(
        recent=recent,
        too_old=backup_age_warning(recent[0].created_at if recent else None),
        warn_hours=settings.KITH_BACKUP_WARN_HOURS,
        folder=str(settings.KITH_BACKUP_DIR),
    )
