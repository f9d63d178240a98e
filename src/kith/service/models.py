"""Service desk: tickets and their events, SLA policies on business calendars, CSAT answers.

SLA clocks: a ticket gets its policy when it is created (first policy, by position, whose
priority and customer tier match). `first_response_due` and `resolution_due` are computed in the
policy's business calendar (kith.service.clock). While a ticket is pending (waiting on the
customer) its resolution clock is paused: on leaving pending, `resolution_due` moves later by
the business time spent pending. The first-response clock never pauses.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kith.core.models import OwnedRecord
from kith.core.translated import name_localized


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class BusinessCalendar(models.Model):
    """Working hours per weekday in a time zone, with holidays (BusinessHoliday)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # {"0": [["09:00", "17:00"]], …}: weekday (Monday = 0) → local working intervals.
    hours = models.JSONField(_("working hours"), default=dict)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BusinessHoliday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="business_holiday_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.name}".strip()


class SlaPolicy(models.Model):
    """Targets for tickets of one priority (or any) and customer tier (or any).

    The tier is read from the contact's custom field `tier_field`; an empty `tier_field` means
    any customer.
    """

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, blank=True
    )  # blank: any priority
    tier_field = models.SlugField(_("tier custom field"), max_length=48, blank=True)
    tier_value = models.CharField(_("tier value"), max_length=80, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies"
    )
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return name_localized(self)


class Ticket(OwnedRecord):
    """A customer's request. `owner` is the assignee; `team` the team working it."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        # Contexts: the same English words mean other things elsewhere (a task is "Open").
        OPEN = "open", pgettext_lazy("ticket status", "Open")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        FORM = "form", _("Support form")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        CHAT = "chat", _("Chat")
        API = "api", _("API")

    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
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
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.WEB
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    category = models.CharField(_("category"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.NEW)
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Business seconds spent pending so far; added to the resolution target when it is computed.
    paused_seconds = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Email threading: the Message-ID of the email that opened the ticket.
    message_id = models.CharField(max_length=255, blank=True)
    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_comment = models.TextField(blank=True)
    csat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
            models.Index(fields=["team", "created_at", "id"], name="ticket_team_created_idx"),
            models.Index(fields=["owner", "created_at", "id"], name="ticket_owner_created_idx"),
            models.Index(fields=["status", "created_at", "id"], name="ticket_status_created_idx"),
            models.Index(
                fields=["team", "status", "created_at", "id"], name="ticket_team_status_idx"
            ),
            models.Index(fields=["contact", "created_at", "id"], name="ticket_contact_idx"),
            models.Index(fields=["company", "created_at", "id"], name="ticket_company_idx"),
            models.Index(
                fields=["first_response_due"],
                name="ticket_fr_due_idx",
                condition=Q(
                    first_responded_at__isnull=True, first_response_breached_at__isnull=True
                ),
            ),
            models.Index(
                fields=["resolution_due"],
                name="ticket_res_due_idx",
                condition=Q(resolved_at__isnull=True, resolution_breached_at__isnull=True),
            ),
            models.Index(fields=["message_id"], name="ticket_message_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        return f"[#{self.pk}]"


class TicketEvent(models.Model):
    """One change to a ticket: who, when, what, old → new (also replies and breaches)."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("ticket event", "Created")
        CHANGED = "changed", _("Changed")
        STATUS = "status", _("Status changed")
        REPLY = "reply", _("Reply")
        NOTE = "note", _("Internal note")
        CUSTOMER_REPLY = "customer_reply", _("Customer reply")
        BREACH = "breach", _("SLA breached")
        CSAT = "csat", _("CSAT answer")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    field = models.CharField(max_length=40, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    # The Message-ID (no angle brackets) of the email an agent's reply was sent as, or of the
    # customer's email: a customer answering a reply is filed on this ticket by it.
    message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ticket", "at", "id"], name="ticket_event_idx"),
            models.Index(
                fields=["message_id"],
                name="ticket_event_message_idx",
                condition=~models.Q(message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.field}".strip()


class SupportSubmission(models.Model):
    """One post of the public support form, kept for the per-IP rate limit (in the database so
    every app server process sees the same count)."""

    ip_hash = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["ip_hash", "at"], name="support_submission_ip_idx")]

    def __str__(self) -> str:
        return str(self.at)


class ContactCsat(models.Model):
    """A contact's CSAT answers summed up: count, total and the latest score."""

    contact = models.OneToOneField(
        "customers.Contact", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    answers = models.PositiveIntegerField(default=0)
    score_total = models.PositiveIntegerField(default=0)
    latest_score = models.PositiveSmallIntegerField()
    latest_at = models.DateTimeField()
    latest_ticket = models.ForeignKey(
        Ticket, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.average:.1f}"

    @property
    def average(self) -> float:
        return self.score_total / self.answers if self.answers else 0.0
