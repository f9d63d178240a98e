"""Insights: the latest scores of every contact and the scoring runs that wrote them.

Scores are read through the contact (its owner and team, `visible_to`): they carry no owner or
team of their own, so moving a contact to another team moves its scores with it. Money amounts
are in major units (e.g. dollars) of the run's currency (ScoringRun.metrics["currency"]).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScoringRun(models.Model):
    """One run of the scoring job: when, how it ended, what it scored and how well the models did."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    customers_scored = models.PositiveIntegerField(_("customers scored"), default=0)
    # {"currency", "orders", "buyers", "bgnbd": {...}, "gamma_gamma": {...}, "clv_holdout": {...},
    #  "churn": {"auc", "baseline_auc", "brier", "calibration", ...}, "hit_rate_at_5", "seconds": {...}}
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        indexes = [models.Index(fields=["status", "-started_at"], name="scoring_run_status_idx")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"


class CustomerScore(models.Model):
    """The latest scores of one contact. `segment` is empty for a contact with no purchase:
    then the RFM, CLV and churn fields are null ("no purchases"), not zero."""

    contact = models.OneToOneField(
        "customers.Contact",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("contact"),
    )
    run = models.ForeignKey(
        ScoringRun, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # RFM: recency in days since the last purchase, frequency = purchases, monetary = total spent.
    recency_days = models.IntegerField(_("days since last purchase"), null=True)
    frequency = models.IntegerField(_("purchases"), null=True)
    monetary = models.FloatField(_("total spent"), null=True)
    r_score = models.PositiveSmallIntegerField(_("R"), null=True)
    f_score = models.PositiveSmallIntegerField(_("F"), null=True)
    m_score = models.PositiveSmallIntegerField(_("M"), null=True)
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    previous_segment = models.CharField(_("previous segment"), max_length=40, blank=True)
    # Lifetime value (BG/NBD + Gamma-Gamma).
    expected_purchases_90 = models.FloatField(_("expected purchases (90 days)"), null=True)
    expected_purchases_365 = models.FloatField(_("expected purchases (365 days)"), null=True)
    p_alive = models.FloatField(_("probability still active"), null=True)
    expected_spend = models.FloatField(_("expected order value"), null=True)
    clv = models.FloatField(_("customer lifetime value"), null=True)
    # Churn: probability of no purchase in the next 90 days, and its top drivers
    # [{"feature", "value", "effect"}].
    churn_risk = models.FloatField(_("churn risk"), null=True)
    churn_drivers = models.JSONField(default=list, blank=True)
    # [{"product_id", "name", "score"}], best first; [{"category", "probability"}], best first.
    recommendations = models.JSONField(default=list, blank=True)
    category_propensity = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(_("scored"))

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        # Each index ends with the contact id so a sorted list pages by keyset on one index range.
        indexes = [
            models.Index(fields=["clv", "contact"], name="score_clv_idx"),
            models.Index(fields=["churn_risk", "contact"], name="score_churn_idx"),
            models.Index(fields=["segment", "clv", "contact"], name="score_segment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.segment or '-'}"


# Win probabilities live in their own module; imported here so Django registers them.
from kith.insights.lead_models import LeadModelRun, LeadScore  # noqa: E402, F401
from kith.insights.win_models import DealWinScore, WinModelRun  # noqa: E402, F401
