"""Crash test: a real `python` process running an import, and one running a merge, killed
with SIGKILL in the middle. The database stays consistent: the import keeps exactly the
batches it committed (rows and counts in one transaction), is detected as stopped, and resumes to the end
without doubles; the merge (one transaction) leaves both contacts and every moved row as they
were, and can be run again.

The processes run Kith's own services on a copy of the test database (SQLite) or on the test
database itself (PostgreSQL); the import's batch is made small so a kill lands between batches'
commits without a file of thousands of rows."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from django.utils import timezone

from kith.customers.models import Contact, ContactPoint
from kith.engagement.models import Interaction
from kith.intake import imports
from kith.intake.imports import import_get, import_resume, import_run
from kith.intake.merging import contacts_merge
from kith.intake.models import ImportJob, MergeRecord
from tests.factories import make_contact
from tests.intake.factories import make_import
from tests.marketing.test_exactly_once import _database_url, _read_back

ROWS, BATCH = 1200, 100
MOVED = 1500  # interactions the merge moves one by one

_PROLOGUE = """
import os, sys, time
import django
django.setup()
from kith.identity.models import User
admin = User.objects.get(username="admin")
"""

IMPORT = (
    _PROLOGUE
    + """
from kith.intake import imports, pipeline
imports.BATCH = imports.BULK_BATCH = {batch}
write = pipeline.batch_run
def written_then_slow(*args, **kwargs):
    outcome = write(*args, **kwargs)
    # The batch's rows are written; the job's counts are not saved yet: the test kills here.
    print("written", flush=True)
    time.sleep(1)
    return outcome
pipeline.batch_run = written_then_slow
imports.import_run(by=admin, job_id={job_id})
print("finished", flush=True)
"""
)

MERGE = (
    _PROLOGUE
    + """
from kith.intake import merging
record = merging._record
moved = []
def counting(ops, *args):
    record(ops, *args)
    moved.append(1)
    if len(moved) == {signal_at}:
        print("in the merge", flush=True)  # rows moved, nothing committed: kill now
merging._record = counting
merging.contacts_merge(by=admin, survivor_id={survivor}, merged_ids=[{merged}])
print("finished", flush=True)
"""
)


def _run_until(script: str, url: str, marker: str, *, after: int = 1) -> int:
    """Start `script` in a new Python process on `url`; SIGKILL it when it has printed a line
    starting with `marker` `after` times. Returns its exit status."""
    env = {**os.environ, "KITH_DATABASE_URL": url}
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    seen = 0
    deadline = time.monotonic() + 300
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(marker):
            seen += 1
            if seen == after:
                os.kill(process.pid, signal.SIGKILL)
                break
        assert time.monotonic() < deadline
    status = process.wait(timeout=60)
    assert status == -signal.SIGKILL, process.stderr.read()[-3000:]  # type: ignore[union-attr]
    return status


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_keeps_whole_batches_and_resumes(users, tmp_path):
    rows = [["Name", "Email"]] + [[f"Crash {n}", f"crash{n}@example.com"] for n in range(ROWS)]
    job = make_import(by=users.admin, rows=rows)
    url = _database_url(tmp_path)
    _run_until(IMPORT.format(batch=BATCH, job_id=job.pk), url, "written", after=3)
    _read_back(url)
    job.refresh_from_db()
    # Killed in the third batch, after its rows were written and before its counts were saved:
    # the batch (rows and counts, one transaction) is not in, the two before it are.
    assert (job.status, job.processed) == ("running", 2 * BATCH)
    assert Contact.objects.count() == job.created_count == job.processed
    assert ContactPoint.objects.count() == job.processed
    # Its heartbeat stops: it is then shown failed, and resumed to the end without doubles.
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - imports.STALLED_AFTER - dt.timedelta(seconds=1)
    )
    assert import_get(by=users.admin, job_id=job.pk).status == "failed"
    import_resume(by=users.admin, job_id=job.pk)
    job = import_run(by=users.admin, job_id=job.pk)
    assert (job.status, job.created_count) == ("done", ROWS)
    emails = ContactPoint.objects.values_list("value", flat=True)
    assert len(emails) == len(set(emails)) == ROWS


@pytest.mark.django_db(transaction=True)
def test_a_killed_merge_changes_nothing_and_can_run_again(users, tmp_path):
    survivor = make_contact(by=users.admin, full_name="Kept Person", emails=["kept@example.com"])
    merged = make_contact(by=users.admin, full_name="Kept Person", emails=["dup@example.com"])
    Interaction.objects.bulk_create(
        Interaction(kind="note", occurred_at=timezone.now(), subject=f"n{n}", contact=merged,
                    owner=users.admin)
        for n in range(MOVED)
    )  # fmt: skip
    url = _database_url(tmp_path)
    script = MERGE.format(signal_at=MOVED // 2, survivor=survivor.pk, merged=merged.pk)
    _run_until(script, url, "in the merge")
    _read_back(url)
    # Nothing of the half-done merge is left: both contacts, every row where it was.
    assert set(Contact.objects.values_list("pk", flat=True)) == {survivor.pk, merged.pk}
    assert Interaction.objects.filter(contact=merged).count() == MOVED
    assert ContactPoint.objects.get(value="dup@example.com").contact_id == merged.pk
    assert not MergeRecord.objects.exists()
    record = contacts_merge(by=users.admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert record.merged_ids == [merged.pk]
    assert Interaction.objects.filter(contact=survivor).count() == MOVED
