"""Customer analytics: RFM, lifetime value, churn risk, propensity, KPIs — scored in bulk."""

from datetime import time, timedelta
from functools import partial

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kith.insights"
    label = "insights"
    verbose_name = "Insights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kith.core.schedules import schedule_register
        from kith.customers.selectors import contact_filter_register
        from kith.insights import selectors, tasks

        schedule_register(
            name="insights.score_nightly",
            every=timedelta(days=1),
            at=time(2, 0),
            task=tasks.scoring_run_task,
        )
        for name, label in (
            ("clv_min", _("CLV at least")),
            ("clv_max", _("CLV at most")),
            ("churn_risk_min", _("Churn risk at least")),
            ("churn_risk_max", _("Churn risk at most")),
        ):
            contact_filter_register(
                name=name, label=label, apply=partial(selectors.contacts_by_score, name=name)
            )
        contact_filter_register(
            name="segment",
            label=_("Segment"),
            kind="choice",
            choices=selectors.segment_choices,
            apply=partial(selectors.contacts_by_score, name="segment"),
        )
