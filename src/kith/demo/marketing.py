"""Demo data of marketing: templates in three languages, dynamic and static segments (refreshed,
so they have a size history), and two past campaigns with a holdout whose outcomes are generated
with a known true effect: "Spring sale" raised conversion (treated recipients buy with a 15-point
higher chance within the window), "Newsletter" had none. The campaign pages then measure those
effects from the orders — the lift is real in the data, not written into a report."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kith.demo.context import DemoContext
from kith.marketing.models import CampaignRecipient, Segment
from kith.marketing.services import campaigns, segments, templates
from kith.sales.models import Product
from kith.sales.services.orders_import import OrderImport, orders_import

OPT_IN = {"field": "consent", "op": "granted", "channel": "email", "purpose": "marketing"}
SPRING = {
    "en": {
        "subject": "{{ first_name }}, our spring sale is on",
        "html": '<p>Hello {{ first_name }},</p><p>Spring prices for {{ company|default:"you" }}.'
        "{% if recommendations %} Picked for you: {% for p in recommendations %}{{ p.name }} {% endfor %}"
        '{% endif %}</p><p><a href="https://shop.example.com/spring">Shop now</a></p>'
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
        "text": "Hello {{ first_name }},\nSpring prices: https://shop.example.com/spring\n"
        "Unsubscribe: {{ unsubscribe_url }}",
    },
    "vi": {
        "subject": "{{ first_name }} ơi, khuyến mãi mùa xuân đã bắt đầu",
        "html": '<p>Xin chào {{ first_name }},</p><p><a href="https://shop.example.com/spring">'
        'Mua ngay</a></p><p><a href="{{ unsubscribe_url }}">Huỷ đăng ký</a></p>',
        "text": "Xin chào {{ first_name }},\nhttps://shop.example.com/spring\n"
        "Huỷ đăng ký: {{ unsubscribe_url }}",
    },
    "zh-hans": {
        "subject": "{{ full_name }}，春季促销开始了",
        "html": '<p>{{ full_name }}，您好：</p><p><a href="https://shop.example.com/spring">立即选购</a>'
        '</p><p><a href="{{ unsubscribe_url }}">退订</a></p>',
        "text": "{{ full_name }}，您好：\nhttps://shop.example.com/spring\n退订：{{ unsubscribe_url }}",
    },
}
NEWSLETTER = {
    "en": {
        "subject": "News from us",
        "text": "Hello {{ first_name }}, here is what is new.\nUnsubscribe: {{ unsubscribe_url }}",
    }
}
# (name, template, days ago, holdout %, true conversion lift in the window)
PAST = (("Spring sale", "spring", 60, 40, 0.15), ("Newsletter", "news", 30, 40, 0.0))
BASE_RATE = 0.05


def demo_marketing_load(context: DemoContext) -> None:
    """Adds the marketing demo records; counts go to context.counts."""
    rng = context.rng("marketing")
    admin = context.users["admin"]
    made = {
        "spring": templates.template_create(by=admin, name="Spring sale", versions=SPRING),
        "news": templates.template_create(by=admin, name="Newsletter", versions=NEWSLETTER),
    }
    opt_in = segments.segment_create(by=admin, name="Email opt-in", rules=OPT_IN)
    segments.segment_create(
        by=admin,
        name="High value at risk",
        rules={"match": "all", "rules": [
            {"field": "churn_risk", "op": "gte", "value": 0.5},
            {"field": "clv", "op": "gte", "value": 100},
        ]},
    )  # fmt: skip
    segments.segment_create(
        by=admin, name="Champions", rules={"field": "rfm_segment", "op": "eq", "value": "Champions"}
    )
    segments.segment_create(
        by=admin,
        name="Vietnamese speakers",
        rules={"field": "language", "op": "eq", "value": "vi"},
    )
    fair = segments.segment_create(by=admin, name="Trade fair visitors", kind="static")
    from kith.customers.models import Contact

    some = list(Contact.objects.order_by("pk").values_list("pk", flat=True))
    segments.segment_members_add(
        by=admin, segment_id=fair.pk, contact_ids=rng.sample(some, min(len(some), 40))
    )
    products = list(Product.objects.order_by("pk")[:5])
    now = timezone.now()
    orders: list[OrderImport] = []
    recipients = 0
    for name, key, days_ago, holdout, lift in PAST:
        started = now - timedelta(days=days_ago)
        campaign = campaigns.campaign_create(
            by=admin,
            name=name,
            template_ids=[made[key].pk],
            segment_ids=[opt_in.pk],
            holdout_percent=holdout,
            attribution_days=7,
        )
        # A fixed seed: the same demo draws the same holdout every time it is loaded.
        type(campaign).objects.filter(pk=campaign.pk).update(seed=f"{context.seed:x}{key}"[:32])
        campaigns.campaign_start(by=admin, campaign_id=campaign.pk, now=started)
        rows = list(CampaignRecipient.objects.filter(campaign=campaign).order_by("pk"))
        recipients += len(rows)
        sent, opened, clicked, bounced = [], [], [], []
        for row in rows:
            chance = BASE_RATE
            if not row.is_holdout:
                sent.append(row.pk)
                if rng.random() < 0.35:
                    opened.append(row.pk)
                    if rng.random() < 0.3:
                        clicked.append(row.pk)
                if rng.random() < 0.01:
                    bounced.append(row.pk)
                chance += lift
            if products and rng.random() < chance:
                product = rng.choice(products)
                orders.append(
                    OrderImport(
                        contact_id=row.contact_id,
                        ordered_at=started + timedelta(days=rng.uniform(0.1, 6.5)),
                        lines=[(product.pk, 1, product.price_minor)],
                        channel="email",
                    )
                )
        at = started + timedelta(minutes=10)
        # In chunks: an IN list of every recipient of the large demo is more than SQLite takes.
        for ids, values in (
            (sent, {"state": CampaignRecipient.State.SENT, "sent_at": at, "claim": "demo",
                    "claimed_at": at}),
            (opened, {"opened_at": at + timedelta(hours=2)}),
            (clicked, {"clicked_at": at + timedelta(hours=2, minutes=1)}),
            (bounced, {"bounced_at": at + timedelta(minutes=5)}),
        ):  # fmt: skip
            for start in range(0, len(ids), 5000):
                CampaignRecipient.objects.filter(pk__in=ids[start : start + 5000]).update(**values)
        type(campaign).objects.filter(pk=campaign.pk).update(
            status="sent", finished_at=at, created_at=started - timedelta(days=2)
        )
    if orders:
        orders_import(by=admin, orders=orders)
    segments.segments_refresh()
    context.counts.update(
        {
            "segments": Segment.objects.count(),
            "campaigns": len(PAST),
            "campaign_recipients": recipients,
            "campaign_orders": len(orders),
        }
    )
