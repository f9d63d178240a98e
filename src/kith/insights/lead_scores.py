"""Reads of lead scores: a lead's conversion probability explained in words, and the latest
fit's quality. The lead itself comes from kith.sales.selectors.lead_get (its gate)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.customers.models import Company
from kith.insights.lead_models import LeadModelRun, LeadScore
from kith.sales.models import Channel, Lead

FEATURE_LABELS: dict[str, Any] = {
    "source_channel": gettext_lazy("source channel"),
    "campaign": gettext_lazy("campaign"),
    "company_size": gettext_lazy("company size"),
    "industry": gettext_lazy("industry"),
    "emails_opened": gettext_lazy("emails opened"),
    "emails_replied": gettext_lazy("emails replied"),
    "hours_to_first_response": gettext_lazy("hours to the first response"),
    "activities": gettext_lazy("activities"),
}


@dataclass
class LeadScoreView:
    probability: float | None
    percent: int | None
    reasons: list[str] = field(default_factory=list)
    model: str = ""  # boosted | naive_bayes | too_little_history | "" (not scored yet)
    note: str = ""  # what the score is when it is not the learned model's
    fitted_at: Any = None


def _value(feature: str, value: Any) -> str:
    if value in (None, ""):
        return _("none") if feature != "hours_to_first_response" else _("no response yet")
    if feature == "source_channel":
        return str(dict(Channel.choices).get(value, value))
    if feature == "company_size":
        return str(dict(Company.Size.choices).get(value, value))
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 10 or value.is_integer() else f"{value:,.1f}"
    return str(value)


def reason_sentence(feature: str, effect: float, value: Any) -> str:
    """ "source channel: Referral (raises the chance by 12 points against a typical lead)"."""
    points = round(abs(effect) * 100)
    what = (
        _("raises the chance by %(points)s points against a typical lead")
        if effect > 0
        else _("lowers the chance by %(points)s points against a typical lead")
    ) % {"points": points}
    label = FEATURE_LABELS.get(feature, feature.replace("_", " "))
    return f"{label}: {_value(feature, value)} ({what})"


def run_note(run: LeadModelRun | None) -> str:
    """What a run's scores are, when they are not the learned model's."""
    if run is None:
        return _("Not scored yet: the lead-scoring job has not run.")
    if run.kind == "too_little_history":
        return _(
            "Too little history to learn from (%(leads)s decided leads, %(needed)s needed, both "
            "converted and disqualified): the score is the conversion rate of the lead's source "
            "channel."
        ) % {"leads": run.metrics.get("leads", 0), "needed": run.metrics.get("min_leads", 60)}
    if run.kind == "naive_bayes":
        return _(
            "The learned model did not beat naive Bayes on held-out leads, so naive Bayes scores "
            "the leads."
        )
    return ""


def lead_model_latest() -> LeadModelRun | None:
    """The latest lead-scoring fit (what it was fitted on and how well it did), or None."""
    return LeadModelRun.objects.order_by("-fitted_at", "-id").first()


def lead_score_explain(*, lead: Lead) -> LeadScoreView:
    """The visible `lead`'s conversion probability with its reasons in words (2 queries)."""
    stored = LeadScore.objects.select_related("run").filter(lead_id=lead.pk).first()
    if stored is None:
        run = lead_model_latest()
        note = (
            run_note(run)
            if run is None
            else _(
                "Scores are kept for open leads only; this one was decided or came after the last run."
            )
        )
        return LeadScoreView(probability=None, percent=lead.score, note=note)
    reasons = [
        reason_sentence(str(name), float(effect), stored.features.get(str(name)))
        for name, effect in stored.drivers
    ]
    return LeadScoreView(
        probability=stored.probability,
        percent=round(stored.probability * 100),
        reasons=reasons,
        model=stored.run.kind,
        note=run_note(stored.run),
        fitted_at=stored.run.fitted_at,
    )
