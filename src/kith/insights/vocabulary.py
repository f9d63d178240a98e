"""Names users read for the engine's codes: RFM segments and churn-model features, translated."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# The engine's segment codes (kith.insights.engine.rfm.SEGMENTS) in the users' languages.
SEGMENT_NAMES: dict[str, Any] = {
    "champions": _("Champions"),
    "loyal": _("Loyal"),
    "potential_loyalists": _("Potential loyalists"),
    "new": _("New customers"),
    "promising": _("Promising"),
    "need_attention": _("Need attention"),
    "about_to_sleep": _("About to sleep"),
    "at_risk": _("At risk"),
    "cant_lose": _("Can't lose them"),
    "hibernating": _("Hibernating"),
    "lost": _("Lost"),
}
NO_PURCHASES = _("No purchases")


def segment_name(code: str | None) -> Any:
    """The segment's name; "No purchases" for a contact without a segment."""
    if not code:
        return NO_PURCHASES
    return SEGMENT_NAMES.get(code, code.replace("_", " ").capitalize())
