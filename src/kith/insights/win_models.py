"""Stored win probabilities of open deals and the fits that wrote them. Imported at the end of
kith.insights.models. A score is read through its deal (the deal's owner and team)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WinModelRun(models.Model):
    """One fit of the win-probability model: which model was kept and how well it did."""

    fitted_at = models.DateTimeField(_("fitted"))
    kind = models.CharField(_("model"), max_length=16)  # "logistic" or "stage_defaults"
    reason = models.CharField(max_length=32, blank=True)  # why the stage defaults were kept
    # {"closed", "won", "train", "test", "log_loss", "log_loss_stage", "auc", "auc_stage",
    #  "ece", "ece_stage", "reliability": [{"predicted", "observed", "n"}], ...}
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    deals_scored = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "insights"
        indexes = [models.Index(fields=["-fitted_at"], name="win_run_fitted_idx")]

    def __str__(self) -> str:
        return f"{self.fitted_at:%Y-%m-%d %H:%M} {self.kind}"


class DealWinScore(models.Model):
    deal = models.OneToOneField(
        "sales.Deal", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    run = models.ForeignKey(WinModelRun, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("win probability"))
    # [[feature, contribution to the log-odds], …] largest first; empty for stage defaults.
    drivers = models.JSONField(default=list, blank=True)

    class Meta:
        app_label = "insights"

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.probability:.2f}"
