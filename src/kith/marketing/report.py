"""A campaign's effect: the funnel by variant (and the holdout), the orders attributed to it, and
the lift of conversion and revenue per recipient against the holdout (kith.marketing.lift).

An order is attributed when the recipient's contact placed it (pending, paid or shipped) within
the campaign's attribution window after the campaign started — the same window for the treated
and the holdout, so the comparison is fair. Revenue is in the most common currency of the
attributed orders (orders in other currencies are left out of the revenue, not of conversion).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from kith.marketing.models import Campaign, CampaignRecipient
from kith.sales.models import Order
from kith.sales.money import minor_digits, money_format

if TYPE_CHECKING:  # NumPy and SciPy load with the first report, not with every web worker
    from kith.marketing.lift import Lift

FUNNEL = (
    "audience",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "converted",
    "revenue",
    "unsubscribed",
    "bounced",
)


@dataclass
class FunnelRow:
    group: str  # "A", "B", … or "holdout"
    audience: int = 0
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    revenue_minor: int = 0
    unsubscribed: int = 0
    bounced: int = 0

    def rate(self, name: str) -> float:
        return getattr(self, name) / self.audience if self.audience else 0.0


@dataclass
class CampaignReport:
    rows: list[FunnelRow] = field(default_factory=list)
    currency: str = ""
    conversion: Lift | None = None
    revenue: Lift | None = None
    verdict: str = ""

    def money(self, minor: float) -> str:
        if minor != minor:  # NaN: no recipients on one side yet
            return "–"
        return money_format(round(minor), self.currency) if self.currency else str(round(minor))


def _attributed(campaign: Campaign) -> tuple[dict[int, int], dict[int, int], str]:
    """(orders per contact, revenue in minor units per contact, currency) in the window."""
    if campaign.started_at is None:
        return {}, {}, ""
    end = campaign.started_at + timedelta(days=campaign.attribution_days)
    orders = (
        Order.objects.filter(
            contact_id__in=CampaignRecipient.objects.filter(campaign=campaign).values("contact_id"),
            ordered_at__gte=campaign.started_at,
            ordered_at__lt=end,
            status__in=Order.COUNTED,
        )
        .values("contact_id", "currency")
        .annotate(n=Count("id"), total=Sum("total_minor"))
        .order_by()
    )
    rows = list(orders)
    currencies: Counter[str] = Counter()
    for row in rows:
        currencies[row["currency"]] += row["n"]
    currency = currencies.most_common(1)[0][0] if currencies else ""
    count: dict[int, int] = defaultdict(int)
    revenue: dict[int, int] = defaultdict(int)
    for row in rows:
        count[row["contact_id"]] += row["n"]
        if row["currency"] == currency:
            revenue[row["contact_id"]] += row["total"] or 0
    return count, revenue, currency


def verdict_text(lift: Lift, *, what: str, unit: Any) -> str:
    """A plain-words sentence on a lift and its interval."""
    if lift.verdict == "no_effect":
        return _("No measurable effect on %(what)s: the 95 %% interval (%(low)s to %(high)s) spans zero.") % {
            "what": what, "low": unit(lift.low), "high": unit(lift.high),
        }  # fmt: skip
    template = (
        _("The campaign raised %(what)s by %(est)s (95 %% interval %(low)s to %(high)s).")
        if lift.verdict == "raised"
        else _("The campaign lowered %(what)s by %(est)s (95 %% interval %(low)s to %(high)s).")
    )
    return template % {
        "what": what, "est": unit(abs(lift.estimate)), "low": unit(lift.low), "high": unit(lift.high),
    }  # fmt: skip


def campaign_report(*, campaign: Campaign) -> CampaignReport:
    """The funnel per variant and holdout, and the lift against the holdout (a fixed number of
    queries whatever the audience)."""
    keys = dict(campaign.variants.values_list("pk", "key"))
    per_contact = list(
        CampaignRecipient.objects.filter(campaign=campaign).values_list(
            "contact_id", "variant_id", "is_holdout", "state", "opened_at", "clicked_at",
            "bounced_at", "unsubscribed_at",
        )
    )  # fmt: skip
    orders, revenue, currency = _attributed(campaign)
    rows: dict[str, FunnelRow] = {}
    treated_revenue: list[int] = []
    holdout_revenue: list[int] = []
    converted_t = converted_c = 0
    for (
        contact_id,
        variant_id,
        holdout,
        state,
        opened,
        clicked,
        bounced,
        unsubscribed,
    ) in per_contact:
        group = "holdout" if holdout else keys.get(variant_id, "-")
        row = rows.setdefault(group, FunnelRow(group))
        row.audience += 1
        sent = state == CampaignRecipient.State.SENT
        row.sent += sent
        row.delivered += sent and bounced is None
        row.opened += opened is not None
        row.clicked += clicked is not None
        row.bounced += bounced is not None
        row.unsubscribed += unsubscribed is not None
        bought = orders.get(contact_id, 0) > 0
        row.converted += bought
        row.revenue_minor += revenue.get(contact_id, 0)
        if holdout:
            holdout_revenue.append(revenue.get(contact_id, 0))
            converted_c += bought
        elif state != CampaignRecipient.State.WAITING:
            treated_revenue.append(revenue.get(contact_id, 0))
            converted_t += bought
    report = CampaignReport(
        rows=sorted(rows.values(), key=lambda r: (r.group == "holdout", r.group)), currency=currency
    )
    import numpy as np

    from kith.marketing.lift import conversion_lift, revenue_lift

    report.conversion = conversion_lift(
        converted_t=converted_t,
        n_t=len(treated_revenue),
        converted_c=converted_c,
        n_c=len(holdout_revenue),
    )
    scale = 10 ** minor_digits(currency) if currency else 1
    report.revenue = revenue_lift(
        treated=np.asarray(treated_revenue, dtype=float) / scale,
        holdout=np.asarray(holdout_revenue, dtype=float) / scale,
    )
    points = lambda v: _("%(n).1f points") % {"n": 100 * v}  # noqa: E731
    cash = lambda v: report.money(v * scale)  # noqa: E731
    report.verdict = " ".join(
        [
            verdict_text(report.conversion, what=_("the conversion rate"), unit=points),
            verdict_text(report.revenue, what=_("revenue per recipient"), unit=cash),
        ]
    )
    return report


@dataclass
class ExposureReport:
    exposed: int = 0
    holdout: int = 0
    converted_exposed: int = 0
    converted_holdout: int = 0
    currency: str = ""
    conversion: Lift | None = None
    revenue: Lift | None = None
    verdict: str = ""


def audience_export_report(*, export: Any) -> ExposureReport:
    """The lift of an ad audience: contacts in the uploaded file (exposed) versus its holdout,
    orders within the export's attribution window after it was made."""
    from kith.marketing.models import AudienceExportMember

    members = list(
        AudienceExportMember.objects.filter(export=export).values_list("contact_id", "is_holdout")
    )
    end = export.created_at + timedelta(days=export.attribution_days)
    rows = list(
        Order.objects.filter(
            contact_id__in=AudienceExportMember.objects.filter(export=export).values("contact_id"),
            ordered_at__gte=export.created_at,
            ordered_at__lt=end,
            status__in=Order.COUNTED,
        )
        .values("contact_id", "currency")
        .annotate(n=Count("id"), total=Sum("total_minor"))
        .order_by()
    )
    currencies: Counter[str] = Counter()
    for row in rows:
        currencies[row["currency"]] += row["n"]
    currency = currencies.most_common(1)[0][0] if currencies else ""
    bought = {row["contact_id"] for row in rows}
    revenue: dict[int, int] = defaultdict(int)
    for row in rows:
        if row["currency"] == currency:
            revenue[row["contact_id"]] += row["total"] or 0
    scale = 10 ** minor_digits(currency) if currency else 1
    exposed = [pk for pk, held in members if not held]
    holdout = [pk for pk, held in members if held]
    report = ExposureReport(
        exposed=len(exposed),
        holdout=len(holdout),
        converted_exposed=sum(pk in bought for pk in exposed),
        converted_holdout=sum(pk in bought for pk in holdout),
        currency=currency,
    )
    import numpy as np

    from kith.marketing.lift import conversion_lift, revenue_lift

    report.conversion = conversion_lift(
        converted_t=report.converted_exposed, n_t=len(exposed),
        converted_c=report.converted_holdout, n_c=len(holdout),
    )  # fmt: skip
    report.revenue = revenue_lift(
        treated=np.asarray([revenue.get(pk, 0) for pk in exposed], dtype=float) / scale,
        holdout=np.asarray([revenue.get(pk, 0) for pk in holdout], dtype=float) / scale,
    )
    points = lambda v: _("%(n).1f points") % {"n": 100 * v}  # noqa: E731
    report.verdict = verdict_text(report.conversion, what=_("the conversion rate"), unit=points)
    return report


@dataclass
class ChannelSegmentRow:
    channel: str
    segment: str  # the segment's name; "" = every recipient
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.sent if self.sent else 0.0

    @property
    def click_rate(self) -> float:
        return self.clicked / self.sent if self.sent else 0.0


def channel_segment_report(*, campaigns: list[Campaign]) -> list[ChannelSegmentRow]:
    """Response and conversion of the sent messages of `campaigns` by channel × segment (the
    segments the recipient is in as of the last refresh), plus a row per channel for everyone.
    Conversion: an order within each campaign's attribution window after it started."""
    from django.db.models import Exists, OuterRef

    from kith.marketing.models import SegmentMember

    rows: dict[tuple[str, str], ChannelSegmentRow] = {}
    for campaign in campaigns:
        if campaign.started_at is None:
            continue
        end = campaign.started_at + timedelta(days=campaign.attribution_days)
        bought = Order.objects.filter(
            contact=OuterRef("contact_id"),
            ordered_at__gte=campaign.started_at,
            ordered_at__lt=end,
            status__in=Order.COUNTED,
        )
        sent = list(
            CampaignRecipient.objects.filter(campaign=campaign, state=CampaignRecipient.State.SENT)
            .annotate(converted=Exists(bought))
            .values_list("contact_id", "opened_at", "clicked_at", "converted")
        )
        ids = [row[0] for row in sent]
        segments: dict[int, list[str]] = defaultdict(list)
        for contact_id, name in SegmentMember.objects.filter(contact_id__in=ids).values_list(
            "contact_id", "segment__name"
        ):
            segments[contact_id].append(name)
        for contact_id, opened, clicked, converted in sent:
            for name in ["", *segments.get(contact_id, [])]:
                row = rows.setdefault(
                    (campaign.channel, name), ChannelSegmentRow(campaign.channel, name)
                )
                row.sent += 1
                row.opened += opened is not None
                row.clicked += clicked is not None
                row.converted += bool(converted)
    return sorted(rows.values(), key=lambda r: (r.channel, r.segment != "", -r.conversion_rate))
