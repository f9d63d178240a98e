"""Names users read for the engine's codes: RFM segments and churn-model features, translated."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The engine's segment codes (kith.insights.engine.rfm.SEGMENTS) in the users' languages, in
# their own context: "Lost" as a segment is not a lost deal ("Thất bại" = failure).
SEGMENT_NAMES: dict[str, Any] = {
    "champions": pgettext_lazy("RFM segment", "Champions"),
    "loyal": pgettext_lazy("RFM segment", "Loyal"),
    "potential_loyalists": pgettext_lazy("RFM segment", "Potential loyalists"),
    "new": pgettext_lazy("RFM segment", "New customers"),
    "promising": pgettext_lazy("RFM segment", "Promising"),
    "need_attention": pgettext_lazy("RFM segment", "Need attention"),
    "about_to_sleep": pgettext_lazy("RFM segment", "About to sleep"),
    "at_risk": pgettext_lazy("RFM segment", "At risk"),
    "cant_lose": pgettext_lazy("RFM segment", "Can't lose them"),
    "hibernating": pgettext_lazy("RFM segment", "Hibernating"),
    "lost": pgettext_lazy("RFM segment", "Lost"),
}
NO_PURCHASES = _("No purchases")


def segment_name(code: str | None) -> Any:
    """The segment's name; "No purchases" for a contact without a segment."""
    if not code:
        return NO_PURCHASES
    return SEGMENT_NAMES.get(code, code.replace("_", " ").capitalize())


# Churn-model features in words ("days since the last purchase"); unknown ones are humanised.
FEATURE_NAMES: dict[str, Any] = {
    "recency_days": _("days since the last purchase"),
    "frequency": _("purchases"),
    "monetary": _("total spent"),
    "tenure_days": _("days as a customer"),
    "orders_last_90": _("purchases in the last 90 days"),
    "orders_prev_90": _("purchases in the 90 days before"),
    "spend_last_90": _("spent in the last 90 days"),
    "spend_trend": _("spending trend (last 90 days against the 90 before)"),
    "tickets_last_180": _("tickets in the last 180 days"),
    "breaches_last_180": _("tickets with a missed SLA in the last 180 days"),
    "mean_csat": _("average satisfaction score"),
    "days_since_ticket": _("days since the last ticket"),
    "days_since_interaction": _("days since the last interaction"),
    "interactions_last_90": _("interactions in the last 90 days"),
    "open_deals": _("open deals"),
    "won_deals_last_365": _("deals won in the last year"),
    "lost_deals_last_365": _("deals lost in the last year"),
}


def feature_name(feature: str) -> Any:
    return FEATURE_NAMES.get(feature, feature.replace("_", " "))


def driver_sentence(driver: dict[str, Any]) -> str:
    """One churn driver {"feature", "value", "effect"} in words: "days since the last purchase:
    240 (raises the risk)"."""
    value = driver.get("value")
    if value is None:
        value = _("none")
    elif isinstance(value, float):
        integral = value.is_integer() or abs(value) >= 1000
        value = f"{value:,.0f}" if integral else f"{value:,.2f}"
    effect = float(driver.get("effect") or 0)
    # Against a typical customer's risk: three "lowers" beside a 49 % risk is not a contradiction
    # when the typical risk is higher, and the sentence says so.
    direction = (
        _("raises the risk above a typical customer's")
        if effect > 0
        else _("lowers the risk below a typical customer's")
    )
    return f"{feature_name(str(driver.get('feature', '')))}: {value} ({direction})"
