"""Automation: rules (trigger → conditions → actions) with their runs, outgoing webhook
subscriptions with their deliveries, inbound webhook sources with the bodies they received.

Rules and webhooks react to the domain events of kith.core.events (one handler for "*", see
kith.automation.handlers). Delivery is at least once, so what a reaction writes is keyed on
(event, rule) and (event, subscription): a RuleRun and a Delivery are unique on those.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Rule(models.Model):
    """When `trigger` happens (and `trigger_field` changed, when set) and the record passes
    `conditions`, run `actions` in order, with the permissions of `owner`.

    `conditions`: {"all"|"any": [{"field", "op", "value"} | a nested group, …]} (see
    kith.automation.conditions). `actions`: [{"type": "create_task", …}, …] (see
    kith.automation.actions). `trigger` is an event name ("deal.won") or a date trigger
    ("date.birthday", "date.days_since_last_order").
    """

    name = models.CharField(_("name"), max_length=120)
    trigger = models.CharField(_("trigger"), max_length=64)
    # Event triggers: fire only when this field changed (an `.updated` event's "changed").
    # Date triggers: the date field ("custom.birthday", "expected_close").
    trigger_field = models.CharField(_("field"), max_length=64, blank=True)
    # Date triggers: days since the last order, or days before the date (0 = on the day).
    trigger_days = models.PositiveIntegerField(_("days"), default=0)
    # score.crossed: the value of the score (trigger_field) whose crossing fires the rule.
    trigger_threshold = models.FloatField(_("threshold"), null=True, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("runs as"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Where round-robin assignment goes next (the team's active members by id, in turn).
    round_robin_position = models.PositiveIntegerField(default=0)
    # Consecutive failed runs; at FAILURES_TO_PAUSE the rule pauses and its owner is told.
    failure_count = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "trigger"], name="automation_rule_trigger")]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """One rule reacting to one event (or one record on one day, for date triggers): its steps
    run in order; a wait step parks the run until `resume_at`, which survives a restart."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        WAITING = "waiting", _("Waiting")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Conditions not met")
        FAILED = "failed", _("Failed")

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    # The event's id, or a date trigger's key ("date:2026-12-04"); unique per rule.
    cause = models.CharField(max_length=64)
    event_name = models.CharField(max_length=64)
    record_model = models.CharField(max_length=64, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    depth = models.PositiveSmallIntegerField(default=1)
    # The event's payload (ids and codes, no personal data), kept so a long wait outlives the
    # event's pruning and a step needs no lookup.
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    next_step = models.PositiveSmallIntegerField(default=0)
    resume_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "cause"], name="automation_run_once"),
        ]
        indexes = [
            models.Index(
                fields=["resume_at", "id"],
                name="automation_run_due",
                condition=Q(status__in=["pending", "waiting"]),
            ),
            models.Index(fields=["rule", "-id"], name="automation_run_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.cause}"


class RuleRunStep(models.Model):
    """What one action of a run did (or, in a test run, would do)."""

    class Status(models.TextChoices):
        OK = "ok", _("Done")
        WAITING = "waiting", _("Waiting")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(RuleRun, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=32)
    status = models.CharField(max_length=8, choices=Status.choices)
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index", "id"]
        indexes = [models.Index(fields=["run", "index"], name="automation_step_run")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.index} {self.action}"


class Subscription(models.Model):
    """An outgoing webhook: every event of `events` ("*" = all) is POSTed, signed, to `url`."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("event types"), default=list)
    # The HMAC key, shown once when made; kept to sign (a hash would not do).
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    # Consecutive failed attempts; reset by a successful one.
    failure_count = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_name: str) -> bool:
        return "*" in self.events or event_name in self.events


class Delivery(models.Model):
    """One event to one subscription; (event, subscription) is the idempotency key the receiver
    sees (header Idempotency-Key). `body` is fixed when made, so every attempt sends the same
    bytes; each attempt is a DeliveryAttempt."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.BigIntegerField()
    event_name = models.CharField(max_length=64)
    record_key = models.CharField(max_length=80)
    body = models.TextField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # Retries stop here (24 hours after the delivery was made, or after a manual redelivery).
    deadline_at = models.DateTimeField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "subscription"], name="automation_delivery_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "event_id"],
                name="automation_delivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["subscription", "record_key", "event_id"],
                name="automation_delivery_record",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["subscription", "-id"], name="automation_delivery_log"),
            models.Index(fields=["status", "-id"], name="automation_delivery_status"),
            models.Index(fields=["created_at"], name="automation_delivery_age"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} → {self.subscription_id}"

    @property
    def idempotency_key(self) -> str:
        return f"{self.event_id}-{self.subscription_id}"


class DeliveryAttempt(models.Model):
    """One HTTP attempt of a delivery: its status code and response time, or why it failed."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["delivery", "-at"], name="automation_attempt_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.response_code or self.error}"


class InboundSource(models.Model):
    """A secret URL (/hooks/in/<token>/) turning a JSON body into a lead, an interaction or a
    ticket, with `mapping` {target field: dotted path in the body}; it acts as `owner`."""

    class Target(models.TextChoices):
        LEAD = "lead", _("Lead")
        INTERACTION = "interaction", _("Interaction")
        TICKET = "ticket", _("Ticket")

    name = models.CharField(_("name"), max_length=120)
    token = models.CharField(max_length=48, unique=True)
    target = models.CharField(_("creates"), max_length=12, choices=Target.choices)
    mapping = models.JSONField(_("field mapping"), default=dict)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class InboundBody(models.Model):
    """A body an inbound source received: what it created, or why it was refused (kept to retry)."""

    class Status(models.TextChoices):
        DONE = "done", _("Created")
        REFUSED = "refused", _("Refused")

    source = models.ForeignKey(InboundSource, on_delete=models.CASCADE, related_name="bodies")
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices)
    error = models.CharField(max_length=500, blank=True)
    record_model = models.CharField(max_length=64, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["source", "-id"], name="automation_inbound_log"),
            models.Index(fields=["received_at"], name="automation_inbound_age"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.status}"
