"""`kith backup` and `kith restore`: the whole database to one verified file and back."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True)


def backup(
    to: Annotated[
        Path | None, typer.Option("--to", help="Folder to write to (default: KITH_BACKUP_DIR).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Back up the database while Kith runs (SQLite online backup / pg_dump), with a manifest
    of the migrations and every table's row count and checksum; old backups are pruned."""
    from kith.intake.backup import BackupError
    from kith.intake.backup_runs import backup_run

    try:
        result, record = backup_run(to=to)
    except BackupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        sys.stdout.write(json.dumps({"path": str(result.path), **result.manifest}) + "\n")
        return
    Console().print(
        f"{result.path}: {record.tables} tables, {record.rows} rows, {record.size_bytes} bytes"
        + (f" ({record.pruned} old backups pruned)" if record.pruned else "")
    )


def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `kith backup`.")],
    database_url: Annotated[
        str,
        typer.Option(help="Restore into this empty database (default: KITH_DATABASE_URL)."),
    ] = "",
) -> None:
    """Restore a backup into an empty database: the archive is checked first (checksum, known
    migrations), every table's rows are verified against the manifest after."""
    from kith.intake.backup import BackupError
    from kith.intake.backup_runs import backup_restore_run

    try:
        manifest = backup_restore_run(path=file, url=database_url or None)
    except BackupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    rows = sum(t["rows"] for t in manifest["tables"].values())
    Console().print(
        f"Restored {file.name}: {len(manifest['tables'])} tables, {rows} rows, all verified."
    )


def register(app: typer.Typer) -> None:
    """Add `kith backup` and `kith restore`."""
    app.command()(backup)
    app.command()(restore)
