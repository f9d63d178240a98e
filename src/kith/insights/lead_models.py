"""Stored conversion probabilities of open leads and the fits that wrote them. Imported at the
end of kith.insights.models. A score is read through its lead (the lead's owner and team); the
lead's own `score` field holds the same probability in percent so the lead list sorts by it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadModelRun(models.Model):
    """One fit of the lead-scoring model: which model was kept and how well it did."""

    fitted_at = models.DateTimeField(_("fitted"))
    kind = models.CharField(_("model"), max_length=20)  # boosted | naive_bayes | too_little_history
    # {"leads", "converted", "train", "test", "log_loss", "log_loss_nb", "auc", "auc_nb", "ece",
    #  "ece_nb", "reliability": [{"predicted", "observed", "n"}], ...}
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    leads_scored = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "insights"
        indexes = [models.Index(fields=["-fitted_at"], name="lead_run_fitted_idx")]

    def __str__(self) -> str:
        return f"{self.fitted_at:%Y-%m-%d %H:%M} {self.kind}"


class LeadScore(models.Model):
    lead = models.OneToOneField(
        "sales.Lead", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    run = models.ForeignKey(LeadModelRun, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("conversion probability"))
    # [[feature, change in probability against the typical value], …] largest first.
    drivers = models.JSONField(default=list, blank=True)
    # The feature values the score was computed from, to say "replied to 2 emails".
    features = models.JSONField(default=dict, blank=True)

    class Meta:
        app_label = "insights"

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.probability:.2f}"
