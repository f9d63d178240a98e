"""Backup and restore: demo data -> backup -> empty database -> restore, and every table's row
count and row checksum equal (SQLite and PostgreSQL); mismatches refused; retention."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dj_database_url
import pytest
from django.db import connection
from typer.testing import CliRunner

from kith.cli.app import app
from kith.demo import demo_load
from kith.identity.models import SecurityEvent
from kith.intake import backup as backups
from kith.intake.backup import BackupError, backup_restore, backups_to_keep
from kith.intake.backup_runs import backup_run
from kith.intake.models import BackupRecord


def _live_tables() -> dict:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return backups._sqlite_tables(connection.connection)
    return backups._pg_tables(connection.connection)


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a new, empty database of the engine under test; dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"kith_restore_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    settings_db = connection.settings_dict
    url = dj_database_url.parse("postgres://x@h/y")
    url.update({k: settings_db[k] for k in ("USER", "PASSWORD", "HOST", "PORT")})
    user = settings_db["USER"] or ""
    password = f":{settings_db['PASSWORD']}" if settings_db["PASSWORD"] else ""
    host = settings_db["HOST"] or "localhost"
    port = f":{settings_db['PORT']}" if settings_db["PORT"] else ""
    yield f"postgres://{user}{password}@{host}{port}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.django_db(transaction=True)
def test_round_trip_keeps_every_row_of_every_table(tmp_path, empty_database, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_load(size="tiny")
    before = _live_tables()
    result = CliRunner().invoke(app, ["backup", "--to", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    # The manifest describes the database as it was (plus nothing: it is written first).
    assert manifest["tables"] == before
    assert manifest["tables"]["customers_contact"]["rows"] >= 90
    assert manifest["migrations"]["identity"][0] == "0001_initial"
    path = Path(manifest["path"])
    restored = CliRunner().invoke(app, ["restore", str(path), "--database-url", empty_database])
    assert restored.exit_code == 0, restored.output
    assert "all verified" in restored.stdout
    target = dj_database_url.parse(empty_database)
    if connection.vendor == "sqlite":
        import sqlite3

        with sqlite3.connect(target["NAME"]) as db:
            after = backups._sqlite_tables(db)
    else:
        pg = backups._pg_connect(target)
        after = backups._pg_tables(pg)
        pg.close()
    assert after == before
    assert BackupRecord.objects.get().rows == sum(t["rows"] for t in before.values())
    assert SecurityEvent.objects.filter(kind="backup").count() == 1
    # A second restore into the now full database is refused.
    again = CliRunner().invoke(app, ["restore", str(path), "--database-url", empty_database])
    assert again.exit_code == 1 and "not empty" in again.output


def _tampered(path: Path, out: Path, *, manifest_change=None, data_change=False) -> Path:
    with tarfile.open(path) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        data = archive.extractfile(manifest["database_file"]).read()
    if manifest_change:
        manifest_change(manifest)
    if data_change:
        data = data[:-1] + bytes([data[-1] ^ 1])
    with tarfile.open(out, "w") as archive:
        for name, body in (
            ("manifest.json", json.dumps(manifest).encode()),
            (manifest["database_file"], data),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return out


@pytest.mark.django_db(transaction=True)
def test_a_mismatching_archive_is_refused(tmp_path, empty_database, users):
    result, _record = backup_run(to=tmp_path)

    def wrong_count(manifest):
        manifest["tables"]["identity_user"]["rows"] += 1

    def newer(manifest):
        manifest["migrations"]["identity"].append("9999_from_the_future")

    def other_engine(manifest):
        manifest["engine"] = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    cases = {
        "differs from the backup's manifest in: identity_user": {"manifest_change": wrong_count},
        "newer Kith": {"manifest_change": newer},
        "database; the target is": {"manifest_change": other_engine},
        "damaged": {"data_change": True},
    }
    for n, (message, change) in enumerate(cases.items()):
        url = empty_database if n == 0 else None
        bad = _tampered(result.path, tmp_path / f"bad{n}.tar", **change)
        with pytest.raises(BackupError) as exc:
            backup_restore(path=bad, url=url or empty_database)
        assert message in str(exc.value)
        if n == 0 and connection.vendor == "sqlite":  # restored, then found different: start over
            Path(dj_database_url.parse(empty_database)["NAME"]).unlink()
        elif n == 0:
            break  # the PostgreSQL target is no longer empty; the other cases are engine-blind
    not_a_backup = tmp_path / "x.tar"
    not_a_backup.write_bytes(b"hello")
    with pytest.raises(BackupError, match="not a Kith backup"):
        backup_restore(path=not_a_backup, url=empty_database)


def test_retention_keeps_n_daily_and_m_weekly():
    start = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    backups_list = [
        (start + timedelta(days=d, hours=h), Path(f"b{d}-{h}")) for d in range(60) for h in (0, 5)
    ]
    backups_list.sort(reverse=True)
    keep = backups_to_keep(backups_list, daily=7, weekly=4)
    newest_per_day = {
        p
        for when, p in backups_list
        if when.hour == 7 and when.date() >= (start + timedelta(days=53)).date()
    }
    assert newest_per_day <= keep
    assert len(keep) <= 7 + 4
    assert backups_list[0][1] in keep
    assert all(when.hour == 7 for when, p in backups_list if p in keep)
    oldest_kept = min(when for when, p in backups_list if p in keep)
    assert oldest_kept >= start + timedelta(days=59 - 4 * 7)


@pytest.mark.django_db(transaction=True)
def test_scheduled_backup_prunes_and_the_admin_page_warns(tmp_path, settings, users, web_for):
    from kith.intake.tasks import backup_scheduled_task

    settings.KITH_BACKUP_DIR = tmp_path
    settings.KITH_BACKUP_KEEP_DAILY = 1
    settings.KITH_BACKUP_KEEP_WEEKLY = 0
    page = web_for(users.admin).get("/settings/backups/").content.decode()
    assert "No backup has been written yet" in page
    old = tmp_path / "kith-backup-20200101T000000Z.tar"
    old.write_bytes(b"old")
    backup_scheduled_task.call()
    assert not old.exists()
    assert len(list(tmp_path.glob("kith-backup-*.tar"))) == 1
    assert BackupRecord.objects.get().trigger == "schedule"
    page = web_for(users.admin).get("/settings/backups/").content.decode()
    assert "No backup has been written yet" not in page and "older than" not in page
    BackupRecord.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    page = web_for(users.admin).get("/settings/backups/").content.decode()
    assert "older than 36 hours" in page
    assert web_for(users.rep_a).get("/settings/backups/").status_code == 403
