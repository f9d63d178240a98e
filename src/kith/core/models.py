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
