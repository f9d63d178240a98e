"""The ready win-back campaign: customers with a high churn risk and a high lifetime value, an
offer in three languages, and a holdout, created as a draft to review and start."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kith.identity.access import require
from kith.identity.models import User
from kith.insights.models import CustomerScore
from kith.marketing.models import Campaign, EmailTemplate
from kith.marketing.services.campaigns import campaign_create
from kith.marketing.services.segments import segment_create
from kith.marketing.services.templates import template_create

WINBACK_TEMPLATE = "Win-back offer"
OFFER = {
    "en": {
        "subject": "{{ first_name }}, we miss you: 15% off your next order",
        "text": "Hello {{ first_name }},\nit has been a while. Here is 15% off your next order"
        "{% if recommendations %}, for example on {{ recommendations.0.name }}{% endif %}.\n"
        "Unsubscribe: {{ unsubscribe_url }}",
    },
    "vi": {
        "subject": "{{ first_name }} ơi, giảm 15% cho đơn hàng tiếp theo",
        "text": "Xin chào {{ first_name }},\nđã lâu không gặp. Bạn được giảm 15% cho đơn hàng tiếp "
        "theo.\nHuỷ đăng ký: {{ unsubscribe_url }}",
    },
    "zh-hans": {
        "subject": "{{ full_name }}，我们想念您：下一单立减 15%",
        "text": "{{ full_name }}，您好：\n好久不见，您的下一单可享 15% 优惠。\n退订：{{ unsubscribe_url }}",
    },
}


def _clv_threshold(quantile: float) -> float:
    scores = CustomerScore.objects.filter(clv__isnull=False).values_list("clv", flat=True)
    values = sorted(float(v) for v in scores if v is not None)
    if not values:
        return 0.0
    return round(values[min(len(values) - 1, int(quantile * len(values)))], 2)


def winback_campaign_create(
    *, by: User, churn_risk: float = 0.6, clv_quantile: float = 0.75, holdout_percent: int = 20
) -> Campaign:
    """A draft campaign to the segment "churn risk ≥ `churn_risk` and CLV in the top quarter"
    (the CLV threshold is the `clv_quantile` of today's scores), with the win-back offer
    template (made once) and a `holdout_percent` holdout."""
    require(by, "marketing", "create")
    threshold = _clv_threshold(clv_quantile)
    with transaction.atomic():
        template = EmailTemplate.objects.filter(name=WINBACK_TEMPLATE).first()
        if template is None:
            template = template_create(by=by, name=WINBACK_TEMPLATE, versions=OFFER)
        segment = segment_create(
            by=by,
            name=_("Win-back: high churn risk, high value"),
            rules={"match": "all", "rules": [
                {"field": "churn_risk", "op": "gte", "value": churn_risk},
                {"field": "clv", "op": "gte", "value": threshold},
                {"field": "consent", "op": "granted", "channel": "email", "purpose": "marketing"},
            ]},
        )  # fmt: skip
        return campaign_create(
            by=by,
            name=_("Win-back"),
            template_ids=[template.pk],
            segment_ids=[segment.pk],
            holdout_percent=holdout_percent,
            attribution_days=30,
        )
