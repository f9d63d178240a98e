"""Engagement data: interactions, tasks, comments, follows, notifications and mailboxes.

Records of higher layers (deals, tickets, …) are linked generically by
(`record_model` "sales.deal", `record_id`), never by a ForeignKey upward.
"""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kith.core.models import OwnedRecord


class Interaction(OwnedRecord):
    """One touch with a customer: a call, an email, a meeting, a chat, a social message, a visit
    or a note. Contact and company are SET_NULL: a deleted contact's calls stay in the company's
    and the deal's history instead of vanishing with it."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("Email")
        MEETING = "meeting", _("Meeting")
        CHAT = "chat", _("Chat")
        SOCIAL = "social", _("Social message")
        VISIT = "visit", _("Visit")
        NOTE = "note", _("Note")

    class Direction(models.TextChoices):
        IN = "in", _("Inbound")
        OUT = "out", _("Outbound")
        NONE = "", _("—")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        CONNECTED = "connected", _("Connected")
        VOICEMAIL = "voicemail", _("Left voicemail")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, blank=True, default=""
    )
    channel = models.CharField(_("channel"), max_length=32, blank=True)  # zalo, wechat, phone…
    occurred_at = models.DateTimeField(_("when"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, blank=True, default=""
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("contact"),
    )
    company = models.ForeignKey(
        "customers.Company",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("company"),
    )
    record_model = models.CharField(max_length=64, blank=True)  # "sales.deal", "service.ticket"
    record_id = models.BigIntegerField(null=True, blank=True)
    participant_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("participants")
    )
    participant_contacts = models.ManyToManyField(
        "customers.Contact",
        blank=True,
        related_name="+",
        verbose_name=_("participating contacts"),
    )
    # Email only.
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    thread_key = models.CharField(max_length=255, blank=True)  # the Message-ID starting the thread
    mailbox = models.ForeignKey(
        "engagement.Mailbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["contact", "-occurred_at", "-id"], name="interaction_contact_idx"),
            models.Index(fields=["company", "-occurred_at", "-id"], name="interaction_company_idx"),
            models.Index(
                fields=["record_model", "record_id", "-occurred_at"],
                name="interaction_record_idx",
            ),
            models.Index(fields=["thread_key"], name="interaction_thread_idx"),
            models.Index(fields=["owner", "kind", "occurred_at"], name="interaction_owner_idx"),
        ]
        constraints = [
            # An email is filed once per contact: a re-run of the mailbox poll cannot double it.
            models.UniqueConstraint(
                fields=["message_id", "contact"],
                condition=~Q(message_id=""),
                name="interaction_message_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.body[:40]}"


class Task(OwnedRecord):
    """Something a user must do by a time; `owner` is the assignee."""

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("contact"),
    )
    company = models.ForeignKey(
        "customers.Company",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("company"),
    )
    record_model = models.CharField(max_length=64, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["owner", "status", "due_at", "id"], name="task_owner_due_idx"),
            models.Index(fields=["team", "status", "due_at", "id"], name="task_team_due_idx"),
            models.Index(fields=["contact", "status", "due_at"], name="task_contact_idx"),
            models.Index(fields=["record_model", "record_id"], name="task_record_idx"),
            models.Index(
                fields=["remind_at"],
                condition=Q(reminded_at__isnull=True, status="open"),
                name="task_remind_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    """A comment on any record (record_model "customers.contact", "sales.deal", …)."""

    record_model = models.CharField(max_length=64)
    record_id = models.BigIntegerField()
    body = models.TextField(_("comment"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["record_model", "record_id", "-created_at"], name="comment_idx")
        ]

    def __str__(self) -> str:
        return self.body[:40]


class Follow(models.Model):
    """A user follows a record and is told about its new comments."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    record_model = models.CharField(max_length=64)
    record_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record_model", "record_id", "user"], name="follow_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.record_model}#{self.record_id}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32)  # "mention", "comment", "task_reminder", "deal_moved"…
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    record_model = models.CharField(max_length=64, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx"
            )
        ]

    def __str__(self) -> str:
        return self.text


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class EngagementPreference(models.Model):
    """A user's engagement settings: reminders by email, the secret calendar feed token."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    email_reminders = models.BooleanField(_("email me reminders"), default=False)
    calendar_token = models.CharField(max_length=64, unique=True, default=_new_token)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class Mailbox(models.Model):
    class Purpose(models.TextChoices):
        TIMELINE = "timeline", _("File on contact timelines")
        SUPPORT = "support", _("Support tickets")
        BOUNCES = "bounces", _("Campaign bounces")

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("IMAP host"), max_length=253)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    use_ssl = models.BooleanField(_("use SSL"), default=True)
    username = models.CharField(_("user name"), max_length=254)
    # Prefer password_env: the name of an environment variable holding the password.
    password_env = models.CharField(max_length=100, blank=True)
    password = models.CharField(max_length=200, blank=True)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.TIMELINE
    )
    create_leads_for_unknown = models.BooleanField(
        _("create leads for unknown senders"), default=False
    )
    # Who owns what this mailbox files (interactions, new leads).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name

    def secret(self) -> str:
        if self.password_env:
            return os.environ.get(self.password_env, "")
        return self.password


class MailMessage(models.Model):
    """The ledger: every message seen in a mailbox, once per (mailbox, uidvalidity, uid), with
    what became of it. A message is never lost (unfiled ones stay here with their reason and raw
    bytes) nor doubled (a Message-ID already filed from this mailbox is a duplicate)."""

    class Status(models.TextChoices):
        FILED = "filed", _("Filed")
        UNFILED = "unfiled", _("Unfiled")
        DUPLICATE = "duplicate", _("Duplicate")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=255, blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=300, blank=True)
    filed_as = models.CharField(max_length=300, blank=True)  # "3 contacts", "ticket #12"
    raw = models.BinaryField(blank=True)  # kept for unfiled messages only

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="mail_message_uid_once"
            ),
        ]
        indexes = [
            models.Index(fields=["mailbox", "message_id"], name="mail_message_id_idx"),
            models.Index(fields=["status", "-received_at"], name="mail_message_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}/{self.uidvalidity}/{self.uid} {self.status}"
