"""Surveys (NPS, CSAT, CES, custom), their questions, the requests sent to recipients, the
responses, and the follow-ups a poor answer opens.

- Texts are per language: `texts` maps a language code of settings.LANGUAGES ("en",
  "zh-hans", "vi") to the text; a missing language falls back to the survey's default.
- A request is one recipient's invitation (signed link); it is answered at most once: the
  one-to-one `SurveyResponse.request` (or, for anonymous surveys, `answered_at`) holds that.
- An anonymous survey's responses keep no contact, company or request: only the team of the
  survey (for who may read them) and the channel.
- `SurveyResponse.score` is the answer to the survey's first NPS, CSAT or CES question (0–10,
  1–5, 1–7) and `kind` its scale, copied so the dashboards aggregate one indexed column.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kith.core.models import OwnedRecord


class Survey(OwnedRecord):
    """A survey and how it is triggered; owner/team decide who may edit it."""

    class Kind(models.TextChoices):
        NPS = "nps", _("Net Promoter Score (0–10)")
        CSAT = "csat", _("Customer satisfaction (1–5)")
        CES = "ces", _("Customer effort (1–7)")
        CUSTOM = "custom", _("Custom")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Sent by hand or by link")
        TICKET_RESOLVED = "ticket_resolved", _("After a ticket is resolved")
        ORDER_CREATED = "order_created", _("After an order")
        MEETING = "meeting", _("After a meeting")
        SCHEDULE = "schedule", _("On a schedule (relationship survey)")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.MANUAL
    )
    # Relationship surveys: every contact is asked again after this many months.
    every_months = models.PositiveSmallIntegerField(_("every (months)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    default_language = models.CharField(_("default language"), max_length=10, default="en")
    titles = models.JSONField(_("titles"), default=dict)  # language -> title shown to recipients
    thanks = models.JSONField(_("thank-you texts"), default=dict)  # language -> text

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        indexes = [
            models.Index(fields=["team", "created_at", "id"], name="survey_team_idx"),
            models.Index(fields=["owner", "created_at", "id"], name="survey_owner_idx"),
            models.Index(fields=["trigger", "is_active"], name="survey_trigger_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """One question of a survey, shown in `position` order; `show_if` is the skip logic:
    {"question": <position>, "min": n, "max": n} or {"question": <position>, "choices": [keys]}
    — the question is shown only when that earlier answer matches."""

    class Kind(models.TextChoices):
        NPS = "nps", _("0–10 likelihood to recommend")
        CSAT = "csat", _("1–5 satisfaction")
        CES = "ces", _("1–7 effort")
        RATING = "rating", _("Rating 1–5")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    texts = models.JSONField(default=dict)  # language -> question text
    # Choices: [{"key": "price", "texts": {"en": "Price", "vi": "Giá"}}, ...]
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    show_if = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_position_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.position}"


class SurveyRequest(models.Model):
    """One recipient's invitation to a survey, reached through a signed link."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        LINK = "link", _("Public link")
        QR = "qr", _("QR code (visit)")
        CAMPAIGN = "campaign", _("Campaign")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="requests")
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(max_length=10, default="en")
    # What triggered it ("service.ticket", 42): one request per survey and source record.
    source_model = models.CharField(max_length=64, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    # Who may read it (visible_to): the contact's owner and team, else the survey's.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The agent and team the answer is credited to (a ticket's assignee and team).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "source_model", "source_id"],
                condition=Q(source_id__isnull=False),
                name="request_source_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["survey", "created_at"], name="request_survey_idx"),
            models.Index(fields=["team", "created_at"], name="request_team_idx"),
            models.Index(fields=["owner", "created_at"], name="request_owner_idx"),
            models.Index(fields=["contact", "survey", "created_at"], name="request_contact_idx"),
            models.Index(fields=["source_model", "source_id"], name="request_source_idx"),
        ]

    def __str__(self) -> str:
        return f"request {self.pk} of survey {self.survey_id}"


class SurveyResponse(OwnedRecord):
    """One recipient's answers; owner/team are the contact's (anonymous: the survey's)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # Null on anonymous surveys (and public links): a response then names no one.
    request = models.OneToOneField(
        SurveyRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(
        "customers.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=SurveyRequest.Channel.choices)
    language = models.CharField(max_length=10, default="en")
    # The scale of `score`: its question's (a custom survey's CSAT question counts as CSAT),
    # else the survey's kind.
    kind = models.CharField(max_length=10, choices=Survey.Kind.choices)
    score = models.SmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)  # the first free-text answer ("why?"), copied
    source_model = models.CharField(max_length=64, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["survey", "submitted_at", "id"], name="response_survey_idx"),
            models.Index(fields=["team", "submitted_at", "id"], name="response_team_idx"),
            models.Index(fields=["owner", "submitted_at", "id"], name="response_owner_idx"),
            models.Index(fields=["contact", "submitted_at", "id"], name="response_contact_idx"),
            models.Index(fields=["company", "submitted_at", "id"], name="response_company_idx"),
            models.Index(fields=["kind", "submitted_at"], name="response_kind_idx"),
            models.Index(fields=["agent", "submitted_at"], name="response_agent_idx"),
            models.Index(fields=["source_model", "source_id"], name="response_source_idx"),
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to survey {self.survey_id}"


class SurveyAnswer(models.Model):
    """The answer to one question: a number (scores, ratings), choice keys, or text."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    number = models.SmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_question_uniq")
        ]

    def __str__(self) -> str:
        return f"answer to {self.question_id}"


class FollowUp(models.Model):
    """A task opened to close the loop on a poor answer or a strongly negative text; `key`
    ("response:12", "sentiment:service.ticket:5") makes it one per cause."""

    class Reason(models.TextChoices):
        DETRACTOR = "detractor", _("NPS detractor")
        LOW_CSAT = "low_csat", _("Low satisfaction")
        HIGH_EFFORT = "high_effort", _("High effort")
        NEGATIVE_TEXT = "negative_text", _("Strongly negative message")

    key = models.CharField(max_length=120, unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    response = models.ForeignKey(
        SurveyResponse, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    task = models.ForeignKey(
        "engagement.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    due_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["team", "created_at"], name="followup_team_idx"),
            models.Index(fields=["owner", "created_at"], name="followup_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.key
