"""Intake data: import jobs with what they changed (for undo), mapping templates, duplicate
runs with their pairs, and merges with what they changed (for undo)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MappingTemplate(models.Model):
    """A saved column -> field mapping, offered again for files with the same columns."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_by", "kind"], name="intake_template_idx")]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        CONTACTS = "contacts", _("Contacts")
        COMPANIES = "companies", _("Companies")
        LEADS = "leads", _("Leads")
        ORDERS = "orders", _("Orders")
        INTERACTIONS = "interactions", _("Interactions")
        MESSAGES = "messages", _("Social and chat messages")

    class Status(models.TextChoices):
        READING = "reading", _("Reading the file")
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    class OnDuplicate(models.TextChoices):
        SKIP = "skip", _("Skip the row")
        MERGE = "merge", _("Update the existing record")
        CREATE = "create", _("Create a new record anyway")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    filename = models.CharField(_("file"), max_length=255)
    content = models.BinaryField()
    # The table read from `content`, once (zlib-compressed JSON, see kith.intake.tables): the
    # preview and the run use it instead of reading an XLSX again on every request.
    table_data = models.BinaryField(null=True, blank=True, editable=False)
    mapping = models.JSONField(default=dict)  # column header -> field name ("" = ignore)
    on_duplicate = models.CharField(
        _("duplicates"), max_length=8, choices=OnDuplicate.choices, default=OnDuplicate.SKIP
    )
    # Rows that only look like someone already in the base (a similar name: fuzzy, see
    # kith.intake.import_duplicates) are handled this way unless the user chose per row.
    on_fuzzy = models.CharField(
        _("similar names"), max_length=8, choices=OnDuplicate.choices, default=OnDuplicate.CREATE
    )
    # The user's choice per row with a possible duplicate: {"12": "skip" | "create" |
    # "merge:<record id>"} (row numbers as the user counts them).
    choices = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors_csv = models.TextField(blank=True)  # row, field, message, then the row's cells
    # Ids written by this import as [first, last] ranges (bulk ids are contiguous per batch).
    created_ranges = models.JSONField(default=list)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the run after every batch: a running job whose beat stops was killed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_by", "-id"], name="intake_job_user_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="intake_job_beat_idx"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0


class ImportUpdate(models.Model):
    """An existing record an import changed (duplicate -> merge), with its values before."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="updates")
    model = models.CharField(max_length=64)
    record_id = models.BigIntegerField()
    before = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.model}#{self.record_id}"


class DedupeRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    # Whose contacts were searched (kith.identity.access.scope_key): a run replaces the open
    # pairs of earlier runs of the same scope only, and users see the run of their scope.
    scope = models.CharField(max_length=24, default="all", db_index=True)
    threshold = models.FloatField(default=0.9)
    record_count = models.PositiveIntegerField(default=0)
    pair_count = models.PositiveIntegerField(default=0)
    cluster_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"dedupe run {self.pk}"


class DuplicatePair(models.Model):
    """Two contacts the batch model thinks are one person; ids, not FKs, so a merge (which
    moves every FK to the survivor) leaves these as they were found."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not a duplicate")

    run = models.ForeignKey(DedupeRun, on_delete=models.CASCADE, related_name="pairs")
    cluster = models.PositiveIntegerField()
    contact_a = models.BigIntegerField()
    contact_b = models.BigIntegerField()
    probability = models.FloatField()
    evidence = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        indexes = [
            models.Index(fields=["run", "cluster"], name="intake_pair_cluster_idx"),
            models.Index(fields=["contact_a"], name="intake_pair_a_idx"),
            models.Index(fields=["contact_b"], name="intake_pair_b_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_a} ~ {self.contact_b}"


class MergeRecord(models.Model):
    """A merge of records into a survivor, with everything needed to undo it exactly."""

    model = models.CharField(max_length=64)  # "customers.contact"
    survivor_id = models.BigIntegerField()
    merged_ids = models.JSONField(default=list)
    # survivor's field values before; rows deleted (serialised); FK/generic moves (model, pk,
    # attname, old value).
    undo = models.JSONField(default=dict)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["model", "survivor_id"], name="intake_merge_idx")]

    def __str__(self) -> str:
        return f"{self.model}#{self.survivor_id} <- {self.merged_ids}"


class BackupRecord(models.Model):
    """One backup written by `kith backup` or the worker's schedule (kith.intake.backup)."""

    class Trigger(models.TextChoices):
        COMMAND = "command", _("Command")
        SCHEDULE = "schedule", _("Schedule")

    created_at = models.DateTimeField(db_index=True)
    path = models.CharField(max_length=1000)
    size_bytes = models.BigIntegerField(default=0)
    engine = models.CharField(max_length=16)
    tables = models.PositiveIntegerField(default=0)
    rows = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    pruned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.path


class PrivacyRequest(models.Model):
    """A person's request to see (export) or erase their data: when it came in, when it is due
    (KITH_PRIVACY_REQUEST_DAYS later), when it was done and by whom. The subject is a contact or
    a lead by id; the log holds no name (it outlives an erasure)."""

    CONTACT = "customers.contact"
    LEAD = "sales.lead"
    SUBJECTS = ((CONTACT, _("contact")), (LEAD, _("lead")))

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASURE = "erasure", _("Erasure")

    kind = models.CharField(_("request"), max_length=8, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=32, choices=SUBJECTS)
    subject_id = models.BigIntegerField(_("subject id"))
    received_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("due"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("received through"), max_length=80, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["subject", "subject_id", "kind"], name="privacy_request_subject"),
            models.Index(
                fields=["due_at"], name="privacy_request_open", condition=models.Q(done_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}:{self.subject_id}"
