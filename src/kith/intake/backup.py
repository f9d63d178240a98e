"""Backups and restores of the whole database, consistent while Kith runs.

A backup is one tar file, `kith-backup-<UTC time>.tar`, holding
- `database.sqlite3` (SQLite's online backup API: a consistent copy while others write) or
  `database.dump` (PostgreSQL: `pg_dump --format=custom`, taken in an exported snapshot), and
- `manifest.json`: format, Kith version, engine, the migrations applied, the database file's
  SHA-256, and per table its row count and a SHA-256 over every row (in primary-key order).
The counts and checksums are read from the same snapshot the copy is, so they describe it.
Uploaded and generated files (import files, error reports, raw emails) live in the database,
so the database is the whole of Kith's data.

A restore goes only into an empty database of the same engine: it checks the archive (the
file's checksum, and that this Kith knows every migration the backup has), restores, then
counts and checksums every table again and fails on any difference from the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import KithError

FORMAT = 1
MANIFEST = "manifest.json"
BACKUP_NAME = re.compile(r"^kith-backup-(\d{8}T\d{6}Z)\.tar$")
_CHUNK = 2000


class BackupError(KithError):
    """A backup could not be written, or an archive cannot be restored (the message says why)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())


def kith_version() -> str:
    try:
        return version("kith")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


# --- reading a database's tables ------------------------------------------------------------


def _canonical(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime):
        # As SQLite stores it (Django's converters may have parsed the text): naive UTC.
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, float | Decimal):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return str(value)


def _table_sum(cursor: Any, quoted: str, order: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    rows = 0
    cursor.execute(f"SELECT * FROM {quoted} ORDER BY {order}")  # noqa: S608 - names from the catalog
    while batch := cursor.fetchmany(_CHUNK):
        for row in batch:
            digest.update("\x1f".join(_canonical(v) for v in row).encode())
            digest.update(b"\x1e")
        rows += len(batch)
    return {"rows": rows, "checksum": digest.hexdigest()}


def _sqlite_tables(db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    cursor = db.cursor()
    names = [
        name
        for (name,) in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
    ]
    tables = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        keys = [row[1] for row in cursor.execute(f"PRAGMA table_info({quoted})") if row[5]]
        order = ", ".join('"' + k.replace('"', '""') + '"' for k in keys) or "rowid"
        tables[name] = _table_sum(cursor, quoted, order)
    return tables


def _pg_tables(pg: Any) -> dict[str, dict[str, Any]]:
    from psycopg.types.string import TextLoader

    cursor = pg.cursor()
    # JSON as PostgreSQL prints it (jsonb's text is canonical), whatever loaders the
    # connection has (Django's leaves it text, plain psycopg parses it).
    for name in ("json", "jsonb"):
        cursor.adapters.register_loader(name, TextLoader)
    cursor.execute(
        "SELECT c.relname, COALESCE(("
        "  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey, a.attnum))"
        "  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
        "   AND a.attnum = ANY(i.indkey) WHERE i.indrelid = c.oid AND i.indisprimary), '1')"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    found = cursor.fetchall()
    return {name: _table_sum(cursor, f'"{name}"', order) for name, order in found}


def _migrations_from(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


# --- connections by URL ---------------------------------------------------------------------


def _target(url: str | None) -> dict[str, Any]:
    """Django's DATABASES entry for `url` (the configured database when None)."""
    return dj_database_url.parse(url) if url else dict(settings.DATABASES["default"])


def _engine(db: dict[str, Any]) -> str:
    engine = str(db["ENGINE"])
    if "sqlite" in engine:
        return "sqlite"
    if "postgres" in engine:
        return "postgresql"
    raise BackupError(_("Kith backs up SQLite and PostgreSQL databases only."))


def _pg_conninfo(db: dict[str, Any]) -> tuple[str, dict[str, str]]:
    from psycopg.conninfo import make_conninfo

    parts = {
        "dbname": db.get("NAME") or "",
        "user": db.get("USER") or "",
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
    }
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return make_conninfo(**{k: v for k, v in parts.items() if v}), env


def _pg_connect(db: dict[str, Any]) -> Any:
    import psycopg

    conninfo, env = _pg_conninfo(db)
    return psycopg.connect(conninfo, password=env.get("PGPASSWORD") or None)


def _pg_program(name: str) -> str:
    folder = getattr(settings, "KITH_PG_BIN_DIR", "")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path:
        raise BackupError(
            _("%(program)s was not found; install the PostgreSQL client programs.")
            % {"program": name}
        )
    return path


# --- backup ---------------------------------------------------------------------------------


def backup_write(*, to: Path | None = None, now: datetime | None = None) -> BackupResult:
    """Back up the configured database into the folder `to` (default KITH_BACKUP_DIR)."""
    folder = Path(to or settings.KITH_BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    now = now or timezone.now()
    name = f"kith-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar"
    db = _target(None)
    engine = _engine(db)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".kith-backup-") as work:
        work_dir = Path(work)
        if engine == "sqlite":
            data = work_dir / "database.sqlite3"
            tables, migrations = _sqlite_snapshot(data)
        else:
            data = work_dir / "database.dump"
            tables, migrations = _pg_snapshot(db, data)
        manifest = {
            "format": FORMAT,
            "kith_version": kith_version(),
            "created_at": now.astimezone(UTC).isoformat(),
            "engine": engine,
            "database_file": data.name,
            "database_bytes": data.stat().st_size,
            "database_sha256": _file_sha256(data),
            "migrations": migrations,
            "tables": tables,
            "files": [],  # every upload and generated file is stored in the database
        }
        partial = work_dir / (name + ".partial")
        with tarfile.open(partial, "w") as archive:
            body = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(now.timestamp())
            archive.addfile(info, io.BytesIO(body))
            archive.add(data, arcname=data.name)
        final = folder / name
        os.replace(partial, final)
    return BackupResult(final, manifest)


def _sqlite_snapshot(data: Path) -> tuple[dict[str, Any], dict[str, list[str]]]:
    connection.ensure_connection()
    target = sqlite3.connect(data)
    try:
        connection.connection.backup(target)  # the online backup API: a consistent copy
        tables = _sqlite_tables(target)
        migrations = _migrations_from(
            target.execute("SELECT app, name FROM django_migrations").fetchall()
        )
    finally:
        target.close()
    return tables, migrations


def _pg_snapshot(db: dict[str, Any], data: Path) -> tuple[dict[str, Any], dict[str, list[str]]]:
    conninfo, env = _pg_conninfo(db)
    pg = _pg_connect(db)
    try:
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = pg.execute("SELECT pg_export_snapshot()").fetchone()[0]
        # pg_dump reads the very snapshot this transaction counts, while it stays open.
        result = subprocess.run(
            [
                _pg_program("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={data}",
                f"--dbname={conninfo}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(_("pg_dump failed: %(error)s") % {"error": result.stderr[-2000:]})
        tables = _pg_tables(pg)
        migrations = _migrations_from(
            pg.execute("SELECT app, name FROM django_migrations").fetchall()
        )
        pg.rollback()
    finally:
        pg.close()
    return tables, migrations


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# --- restore --------------------------------------------------------------------------------


def backup_manifest_read(path: Path) -> dict[str, Any]:
    """The manifest of the archive at `path`; BackupError if it is not a Kith backup."""
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(_("%(path)s is not a Kith backup.") % {"path": path}) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("This backup has format %(format)s; this Kith reads format %(ours)s.")
            % {"format": manifest.get("format"), "ours": FORMAT}
        )
    return manifest


def _known_migrations() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def backup_restore(*, path: Path, url: str | None = None) -> dict[str, Any]:
    """Restore the archive at `path` into the empty database at `url` (the configured one when
    None) and verify it table by table against the manifest; returns the manifest."""
    manifest = backup_manifest_read(path)
    db = _target(url)
    engine = _engine(db)
    if manifest["engine"] != engine:
        raise BackupError(
            _("This backup is of a %(theirs)s database; the target is %(ours)s.")
            % {"theirs": manifest["engine"], "ours": engine}
        )
    known = _known_migrations()
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            _("This backup was made by a newer Kith (migrations %(names)s); upgrade Kith first.")
            % {"names": ", ".join(unknown[:5])}
        )
    with tempfile.TemporaryDirectory(prefix="kith-restore-") as work:
        with tarfile.open(path, "r") as archive:
            archive.extractall(
                work, members=[archive.getmember(manifest["database_file"])], filter="data"
            )
        data = Path(work) / manifest["database_file"]
        if _file_sha256(data) != manifest["database_sha256"]:
            raise BackupError(_("The backup is damaged: its database file's checksum differs."))
        if engine == "sqlite":
            tables = _sqlite_restore(data, Path(db["NAME"]))
        else:
            tables = _pg_restore(data, db)
    differences = [
        name
        for name in sorted(set(tables) | set(manifest["tables"]))
        if tables.get(name) != manifest["tables"].get(name)
    ]
    if differences:
        raise BackupError(
            _("The restored database differs from the backup's manifest in: %(tables)s.")
            % {"tables": ", ".join(differences[:10])}
        )
    return manifest


def _sqlite_restore(data: Path, target: Path) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(target)) as db:
        if db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]:
            raise BackupError(
                _("The target database %(name)s is not empty; restore into an empty one.")
                % {"name": target}
            )
        with contextlib.closing(sqlite3.connect(data)) as source:
            source.backup(db)
        db.execute("PRAGMA journal_mode=WAL")
        return _sqlite_tables(db)


def _pg_restore(data: Path, db: dict[str, Any]) -> dict[str, Any]:
    with contextlib.closing(_pg_connect(db)) as pg:
        count = pg.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
        ).fetchone()[0]
        pg.rollback()
        if count:
            raise BackupError(
                _("The target database %(name)s is not empty; restore into an empty one.")
                % {"name": db.get("NAME")}
            )
    conninfo, env = _pg_conninfo(db)
    result = subprocess.run(
        [
            _pg_program("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={conninfo}",
            str(data),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(_("pg_restore failed: %(error)s") % {"error": result.stderr[-2000:]})
    with contextlib.closing(_pg_connect(db)) as pg:
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tables = _pg_tables(pg)
        pg.rollback()
    return tables


# --- retention ------------------------------------------------------------------------------


def backups_in(folder: Path) -> list[tuple[datetime, Path]]:
    """The Kith backups in `folder`, newest first, with the time in their name."""
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = BACKUP_NAME.match(path.name)
            if match:
                when = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                found.append((when, path))
    return sorted(found, reverse=True)


def backups_to_keep(backups: list[tuple[datetime, Path]], *, daily: int, weekly: int) -> set[Path]:
    """The newest backup of each of the last `daily` days that have one, and of each of the
    last `weekly` ISO weeks that have one (the newest backup is always kept)."""
    keep: set[Path] = {backups[0][1]} if backups else set()
    days: dict[Any, Path] = {}
    weeks: dict[Any, Path] = {}
    for when, path in backups:  # newest first: the first of a day or week is its newest
        days.setdefault(when.date(), path)
        weeks.setdefault(when.isocalendar()[:2], path)
    keep.update(list(days.values())[:daily])
    keep.update(list(weeks.values())[:weekly])
    return keep


def backups_prune(*, folder: Path, daily: int, weekly: int) -> list[Path]:
    """Delete the backups in `folder` that backups_to_keep does not keep; returns them."""
    backups = backups_in(folder)
    keep = backups_to_keep(backups, daily=daily, weekly=weekly)
    deleted = [path for _when, path in backups if path not in keep]
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted


def backup_age_warning(last: datetime | None, *, now: datetime | None = None) -> bool:
    """Whether the newest backup (None: none yet) is older than KITH_BACKUP_WARN_HOURS."""
    now = now or timezone.now()
    hours = settings.KITH_BACKUP_WARN_HOURS
    return last is None or now - last > timedelta(hours=hours)
