"""The sentiment of a customer text (an inbound email, an interaction note, ...) and the
progress of a bulk rescoring run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TextSentiment(models.Model):
    """The latest score of one text, keyed on its source record ("engagement.interaction", id).

    Owner and team are the source record's, so `visible_to` filters these like the source.
    """

    class Label(models.TextChoices):
        POSITIVE = "positive", _("positive")
        NEUTRAL = "neutral", _("neutral")
        NEGATIVE = "negative", _("negative")

    source_model = models.CharField(_("source"), max_length=100)
    source_id = models.BigIntegerField()
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("contact"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8)
    label = models.CharField(_("sentiment"), max_length=10, choices=Label.choices)
    score = models.FloatField(_("confidence"))
    drivers = models.JSONField(_("drivers"), default=list)
    model_version = models.CharField(max_length=40)
    text_at = models.DateTimeField(_("written at"))
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_model", "source_id"], name="feedback_sentiment_one_per_text"
            )
        ]
        indexes = [
            models.Index(fields=["contact", "-text_at"], name="feedback_sent_contact_at"),
            models.Index(fields=["language", "label", "text_at"], name="feedback_sent_lang_label"),
            models.Index(fields=["team", "text_at"], name="feedback_sent_team_at"),
            models.Index(fields=["owner", "text_at"], name="feedback_sent_owner_at"),
        ]

    def __str__(self) -> str:
        return f"{self.source_model}#{self.source_id}: {self.label} {self.score:.2f}"


class RescoreRun(models.Model):
    """A bulk rescoring of every stored text: the cursor (last source id done) makes it resume."""

    source_model = models.CharField(max_length=100)
    model_version = models.CharField(max_length=40)
    cursor = models.BigIntegerField(default=0)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["source_model", "-started_at"], name="feedback_rescore_src")
        ]

    def __str__(self) -> str:
        return f"{self.source_model} {self.done}/{self.total}"
