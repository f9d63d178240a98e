"""Customer analytics: RFM, lifetime value, churn risk, propensity, KPIs — scored in bulk."""

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "kith.insights"
    label = "insights"
    verbose_name = "Insights"
    default_auto_field = "django.db.models.BigAutoField"
