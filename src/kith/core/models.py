"""Base models shared by every app: owned records, tags, change history, custom fields."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OwnedRecord(models.Model):
    """A customer-facing record: it has an owner and a team, which `visible_to` filters on,
    and a version that makes a stale edit fail instead of overwriting."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    # Null for records of users without a team: then only their owner and "all"-scoped roles see them.
    team = models.ForeignKey(
        "identity.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team"),
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChangeRecord(models.Model):
    """One field of one record changed: who, when, old -> new. Values are stored as text."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")

    model = models.CharField(max_length=64)  # "customers.contact"
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    field = models.CharField(max_length=64, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["model", "object_id", "-at"], name="change_record_idx")]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_id} {self.action} {self.field}".strip()


class CustomField(models.Model):
    """An admin-defined field on a model; values live in that model's `custom` JSON column."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    model = models.CharField(max_length=64)  # "customers.contact"
    key = models.SlugField(max_length=48)
    label = models.CharField(max_length=80)
    label_translations = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["model", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="custom_field_unique_key")
        ]

    def __str__(self) -> str:
        return self.label


class ScheduleRun(models.Model):
    """When each periodic schedule (kith.core.schedules) runs next; one row per schedule."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class WorkerBeat(models.Model):
    """The last sign of life of each running `kith worker` (one row per host and process), so
    a page can say when queued work waits for a worker that is not running."""

    worker = models.CharField(max_length=120, unique=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.worker


class PublicFormPost(models.Model):
    """One post of a public form (web-to-lead, support), kept for the per-address rate limit.

    In the database so every app server process counts the same; the address is stored only
    as a keyed hash (kith.core.public_forms.public_address_hash).
    """

    form = models.CharField(max_length=64)  # which rate limit counts it: "sales.webform" …
    address_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["form", "address_hash", "at"], name="public_form_post_idx"),
            models.Index(fields=["at"], name="public_form_post_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.form} {self.at}"


class DomainEvent(models.Model):
    """Something that happened to a record ("deal.won"), written in the same transaction as the
    change by kith.core.events.event_record, and handed to the registered handlers by the worker.

    The payload holds ids, codes and changed field names, never personal data.
    """

    name = models.CharField(max_length=64)  # "deal.stage_changed"
    model = models.CharField(max_length=64, blank=True)  # "sales.deal"; "" without a record
    object_id = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the worker has handed the event to every handler (or parked it in a delivery).
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                name="domain_event_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
            models.Index(fields=["model", "object_id", "id"], name="domain_event_record_idx"),
            models.Index(fields=["dispatched_at"], name="domain_event_dispatched_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.model}#{self.object_id}" if self.model else self.name


class EventDelivery(models.Model):
    """One handler's outstanding delivery of one event: retrying after the handler raised,
    waiting behind such an event of the same record (order), or given up (failed).

    A delivery that succeeds is deleted, so the table holds only what is not delivered.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        FAILED = "failed", _("failed")

    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=100)
    # The ordering group: "sales.deal:42"; "#<event id>" for an event without a record.
    record_key = models.CharField(max_length=100)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)  # exception type and place only
    created_at = models.DateTimeField(auto_now_add=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="event_delivery_unique")
        ]
        indexes = [
            models.Index(
                fields=["handler", "record_key", "event"], name="event_delivery_group_idx"
            ),
            models.Index(fields=["status", "next_attempt_at"], name="event_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} {self.event_id} {self.status}"
