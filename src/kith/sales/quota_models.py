"""Sales quotas: a revenue target (and optionally a deal count and an activity count) for one
rep or one team over a month or a quarter. Imported at the end of kith.sales.models.

A rep's quota has owner = the rep and team = the rep's team when it was set; a team's quota
has no owner. So `visible_to(..., module="quotas")` gives a rep (team scope) their team's and
their team mates' quotas, and an own-scoped role only their own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Quota(models.Model):
    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("rep"),
    )
    team = models.ForeignKey(
        "identity.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("team"),
    )
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    period_start = models.DateField(_("period start"))  # the first day of the month/quarter
    revenue_minor = models.BigIntegerField(_("revenue target"))
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    deals_target = models.PositiveIntegerField(_("won deals target"), null=True, blank=True)
    activities_target = models.PositiveIntegerField(_("activities target"), null=True, blank=True)
    # The activity mix a rep (or each team) aims at in the period; each optional.
    calls_target = models.PositiveIntegerField(_("calls target"), null=True, blank=True)
    emails_target = models.PositiveIntegerField(_("emails target"), null=True, blank=True)
    meetings_target = models.PositiveIntegerField(_("meetings target"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "sales"
        ordering = ["-period_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "period", "period_start"],
                condition=Q(owner__isnull=False),
                name="quota_rep_period_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "period", "period_start"],
                condition=Q(owner__isnull=True),
                name="quota_team_period_unique",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(team__isnull=False), name="quota_has_holder"
            ),
            models.CheckConstraint(condition=Q(revenue_minor__gte=0), name="quota_revenue_min"),
        ]
        indexes = [
            models.Index(fields=["period", "period_start", "id"], name="quota_period_idx"),
            models.Index(fields=["owner", "period", "period_start"], name="quota_owner_idx"),
            models.Index(fields=["team", "period", "period_start"], name="quota_team_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.period_start}"
