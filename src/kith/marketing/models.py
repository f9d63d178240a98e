"""Marketing: segments (dynamic rules or static lists), templates, campaigns and their recipients,
suppressions, and the contact preferences the preference centre keeps.

Segments and campaigns are owned records (owner, team): `visible_to(user, "marketing")` is
their gate, and a segment's count for a user covers only the contacts that user sees.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kith.core.models import OwnedRecord

LANGUAGES = (("en", "English"), ("zh-hans", "简体中文"), ("vi", "Tiếng Việt"))


class Segment(OwnedRecord):
    """A group of contacts: dynamic (a rule tree, see kith.marketing.rules) or a static list."""

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", _("Dynamic (rules)")
        STATIC = "static", _("Static list")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DYNAMIC)
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    # Members as of the last refresh (dynamic) or the list itself (static).
    size = models.PositiveIntegerField(_("size"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        indexes = [
            models.Index(fields=["team", "name", "id"], name="segment_team_name_idx"),
            models.Index(fields=["owner", "name", "id"], name="segment_owner_name_idx"),
            models.Index(fields=["name", "id"], name="segment_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """A contact in a segment: the static list, or a dynamic segment's last refresh."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "contact"], name="segment_member_unique")
        ]
        indexes = [models.Index(fields=["contact"], name="segment_member_contact_idx")]

    def __str__(self) -> str:
        return f"{self.segment_id}/{self.contact_id}"


class SegmentSize(models.Model):
    """A segment's size on one day (the daily refresh writes one row)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="sizes")
    day = models.DateField()
    size = models.PositiveIntegerField()
    entered = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "day"], name="segment_size_unique")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.day}: {self.size}"


class ContactPreference(models.Model):
    """What a contact chose in the preference centre: the language of their mail."""

    contact = models.OneToOneField(
        "customers.Contact", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["language"], name="contact_pref_language_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.language}"


class Suppression(models.Model):
    """An address no campaign mails again: a hard bounce, a complaint or an admin's entry."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Complaint")
        MANUAL = "manual", _("Added by hand")

    email = models.CharField(_("email"), max_length=254, unique=True)  # lower-case
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)  # DSN status "5.1.1"
    campaign = models.ForeignKey(
        "marketing.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("when"))

    def __str__(self) -> str:
        return f"{self.email} {self.reason}"


class EmailTemplate(models.Model):
    """A message with one version per language (EmailTemplateVersion)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")

    def __str__(self) -> str:
        return self.name


class EmailTemplateVersion(models.Model):
    """A template in one language: subject, HTML and plain text (kith.marketing.sandbox syntax)."""

    template = models.ForeignKey(EmailTemplate, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    html = models.TextField(_("HTML"), blank=True)
    text = models.TextField(_("plain text"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["template", "language"], name="email_template_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template_id} {self.language}"


class Campaign(OwnedRecord):
    """A mailing to segments minus exclusions, consent, unsubscribes and suppressions, with a
    random holdout that receives nothing and optional A/B variants."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="draft")
    channel = models.CharField(_("channel"), max_length=12, default="email")
    purpose = models.CharField(_("purpose"), max_length=16, default="marketing")
    segments = models.ManyToManyField(Segment, related_name="+", blank=True)
    exclusions = models.ManyToManyField(Segment, related_name="+", blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout %"), default=10)
    # Share of the treatment group that gets the A/B test; the rest waits for the winner.
    test_percent = models.PositiveSmallIntegerField(_("A/B test share %"), default=100)
    winner_metric = models.CharField(_("winner metric"), max_length=8, default="click")
    seed = models.CharField(max_length=32)  # random at creation: holdout and variant draws
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rate_per_minute = models.PositiveIntegerField(_("messages per minute"), default=6000)
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=7)
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    # Recurring: every N days a new run (a copy with its own frozen audience and holdout) is
    # started from this campaign, until `repeat_until`; 0 is a one-off.
    repeat_every_days = models.PositiveSmallIntegerField(_("repeat every (days)"), default=0)
    repeat_until = models.DateTimeField(_("repeat until"), null=True, blank=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    # Automatic A/B winner: this many hours after the start the winner is picked (0: by hand).
    ab_test_hours = models.PositiveSmallIntegerField(_("A/B test window (hours)"), default=0)
    winner_reason = models.CharField(_("why this winner"), max_length=200, blank=True)
    # A feedback survey the message carries: {{ survey_url }} is each recipient's own signed
    # link (kith.feedback's survey request, made once per recipient).
    survey = models.ForeignKey(
        "feedback.Survey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            models.Index(fields=["created_at", "id"], name="campaign_created_idx"),
            models.Index(fields=["team", "created_at", "id"], name="campaign_team_idx"),
            models.Index(fields=["owner", "created_at", "id"], name="campaign_owner_idx"),
            models.Index(fields=["status", "scheduled_at"], name="campaign_status_idx"),
            models.Index(fields=["next_run_at"], name="campaign_next_run_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignVariant(models.Model):
    """One version of a campaign's message (A, B…), each with its template."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    key = models.CharField(max_length=2)  # "A", "B", …
    template = models.ForeignKey(EmailTemplate, on_delete=models.PROTECT, related_name="+")
    is_winner = models.BooleanField(default=False)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="campaign_variant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.key}"


class CampaignRecipient(models.Model):
    """One contact of a campaign's frozen audience and its delivery state.

    State machine: waiting (A/B remainder, until the winner) → pending → sending → sent | failed;
    holdout rows are `held_out` and never leave it. `message_id` is fixed when the row is made.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for the A/B winner")
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        HELD_OUT = "held_out", _("Holdout (not sent)")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=254)  # the address frozen at send time
    # The channel this recipient is reached on: the campaign's, or their best consented one
    # when the campaign's channel is "best" (kith.marketing.preferred).
    channel = models.CharField(max_length=12, default="email")
    language = models.CharField(max_length=8, default="en")
    variant = models.ForeignKey(
        CampaignVariant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_holdout = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    message_id = models.CharField(max_length=200, unique=True)
    claim = models.CharField(max_length=32, blank=True)  # the worker run holding the row
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"], name="campaign_recipient_unique"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "state", "id"], name="recipient_state_idx"),
            models.Index(fields=["campaign", "id"], name="recipient_campaign_idx"),
            models.Index(fields=["contact"], name="recipient_contact_idx"),
            models.Index(fields=["email"], name="recipient_email_idx"),
            models.Index(
                fields=["claimed_at"],
                name="recipient_sending_idx",
                condition=Q(state="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.contact_id} {self.state}"


class AudienceExport(OwnedRecord):
    """A segment frozen into a customer-match audience file for ad platforms, with a random
    holdout kept out of the file so the ads' effect can be measured like a campaign's."""

    segment = models.ForeignKey(Segment, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout %"), default=10)
    seed = models.CharField(max_length=32)
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=30)
    exported = models.PositiveIntegerField(default=0)
    held_out = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["created_at", "id"], name="audience_export_created_idx")]

    def __str__(self) -> str:
        return self.name


class AudienceExportMember(models.Model):
    """A contact of an audience export: in the file, or in its holdout."""

    export = models.ForeignKey(AudienceExport, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    is_holdout = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "contact"], name="audience_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.export_id}/{self.contact_id}"
