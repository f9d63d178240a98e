"""Demo data of sales: products, two pipelines with deals in every stage (and their stage
history), leads from every channel, a web form, and several years of orders.

The orders follow a buy-till-you-die process so later analytics (BG/NBD CLV, churn) find
signal: each customer has a purchase rate drawn from a gamma distribution (heterogeneous
buyers), a dropout probability after each purchase drawn from a beta distribution (some churn
early, some stay), and a mean spend per order drawn from another gamma.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Max
from django.utils import timezone

from kith.core.bulk import rows_insert
from kith.customers.models import Contact
from kith.demo.context import DemoContext
from kith.sales import services
from kith.sales.models import Channel, Deal, DealContact, DealStageChange, Lead, Product, Stage
from kith.sales.services import OrderImport, StageInput

PRODUCTS = (
    ("Tea", (("Jasmine green tea 100 g", 650), ("Oolong tea 100 g", 890), ("Pu-erh cake 357 g", 3200),
             ("Lotus tea 50 g", 1150), ("Earl Grey 100 g", 720), ("Matcha 30 g", 1490))),
    ("Coffee", (("Robusta beans 500 g", 980), ("Arabica beans 500 g", 1450), ("Weasel coffee 250 g", 5600),
                ("Cold brew pack", 1200), ("Espresso blend 1 kg", 2400))),
    ("Equipment", (("Phin filter", 450), ("Gaiwan set", 2800), ("Electric kettle", 4900),
                   ("Grinder", 8900), ("Tea tray", 3600), ("Espresso machine", 38900))),
    ("Services", (("Barista training", 15000), ("Office tea service / month", 29000),
                  ("Machine maintenance", 9000))),
)  # fmt: skip
PIPELINES = (
    ("New business", "USD", (StageInput("Qualify", 10), StageInput("Meeting", 25),
                             StageInput("Proposal", 50), StageInput("Negotiation", 75),
                             StageInput("Won", 100, "won"), StageInput("Lost", 0, "lost"))),
    ("Renewals", "USD", (StageInput("Due", 60), StageInput("Quoted", 80),
                         StageInput("Renewed", 100, "won"), StageInput("Churned", 0, "lost"))),
)  # fmt: skip
LOST_REASONS = ("Price", "Went with a competitor", "No budget", "No decision", "Timing")
DISQUALIFY_REASONS = ("Student project", "Spam", "Outside our region", "Duplicate")
CAMPAIGNS = ("Spring expo", "Newsletter March", "Partner webinar", "")
HISTORY_YEARS = 4
# Share of contacts who ever buy, by demo size.
BUYER_SHARE = 0.6


def _next_id(model: Any) -> int:
    return int(model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def demo_sales_load(context: DemoContext) -> None:
    """Adds the sales demo records; counts go to context.counts."""
    rng = context.rng("sales")
    np_rng = np.random.default_rng(rng.randrange(2**32))
    admin = context.users["admin"]
    reps = [u for u in context.users.values() if u.role_id and u.role.slug == "sales_rep"]
    now = timezone.now()
    products = _products(admin)
    funnels = [
        services.pipeline_create(by=admin, name=name, currency=currency, stages=stages)
        for name, currency, stages in PIPELINES
    ]
    contacts = list(
        Contact.objects.order_by("id").values_list("id", "owner_id", "team_id", "company_id")
    )
    deals = _deals(context, rng, funnels, contacts, now)
    leads = _leads(context, rng, reps, now, count=max(len(Channel) * 4, len(contacts) // 10))
    team_rep = reps[0]
    services.webform_create(
        by=admin,
        name="Contact us",
        slug="contact-us",
        fields=["phone", "company_name", "message"],
        consent_text="Send me news and offers by email",
        thank_you_text="Thank you! Someone from our team will contact you within a day.",
        assignment="round_robin",
        team_id=team_rep.team_id,
        campaign="Website",
    )
    orders, lines = _orders(context, admin, np_rng, contacts, products, now)
    context.counts.update(
        {"products": len(products), "pipelines": len(funnels), "deals": deals, "leads": leads,
         "web_forms": 1, "orders": orders, "order_lines": lines}
    )  # fmt: skip


def _products(admin: Any) -> list[Product]:
    rows = []
    for category, items in PRODUCTS:
        for index, (name, price) in enumerate(items, start=1):
            sku = f"{category[:3].upper()}-{index:03d}"
            rows.append(Product(sku=sku, name=name, category=category, price_minor=price))
    return Product.objects.bulk_create(rows)


def _deals(
    context: DemoContext,
    rng: random.Random,
    funnels: list[Any],
    contacts: list[tuple[int, int, int | None, int | None]],
    now: datetime,
    per_pipeline: int = 0,
    open_share: float = 0.6,
) -> int:
    """Deals in every stage of every pipeline, each with a plausible stage history; about
    `open_share` of them still open."""
    per_pipeline = per_pipeline or max(len(Stage.Outcome) * 8, len(contacts) // 8)
    deal_id = _next_id(Deal)
    deal_rows: list[tuple] = []
    change_rows: list[tuple] = []
    link_rows: list[tuple] = []
    for pipeline in funnels:
        stages = list(pipeline.stages.order_by("position"))
        open_stages = [s for s in stages if s.outcome == "open"]
        won = next(s for s in stages if s.outcome == "won")
        lost = next(s for s in stages if s.outcome == "lost")
        for n in range(per_pipeline):
            # Every stage gets deals: the first len(stages) deals walk through them in turn.
            if n < len(stages) * 3:
                final = stages[n % len(stages)]
            elif rng.random() < open_share:
                final = rng.choice(open_stages)
            else:
                final = rng.choice([won, won, lost])
            if final.outcome == "open":
                path = open_stages[: open_stages.index(final) + 1]
            elif final.outcome == "won":
                path = [*open_stages, won]
            else:
                path = [*open_stages[: rng.randint(1, len(open_stages))], lost]
            contact_id, owner_id, team_id, company_id = rng.choice(contacts)
            created = now - timedelta(days=rng.uniform(5, 400))
            at = created
            previous = None
            for stage in path:
                if previous is not None:
                    stay = timedelta(days=rng.gammavariate(2.0, 6.0))
                    at = min(at + stay, now - timedelta(hours=1))
                    seconds = int((at - previous[1]).total_seconds())
                    change_rows.append((deal_id, previous[0].pk, stage.pk, seconds, at, None))
                else:
                    change_rows.append((deal_id, None, stage.pk, None, at, None))
                previous = (stage, at)
            amount = int(rng.lognormvariate(11.0, 0.9)) // 100 * 100  # around 600 USD, in cents
            closes = created + timedelta(days=rng.uniform(20, 150))
            closed_at = at if final.outcome != "open" else None
            deal_rows.append(
                (deal_id, owner_id, team_id, 1, created, created,
                 f"{pipeline.name[:3]}-{deal_id} {('Order', 'Renewal', 'Upgrade', 'Pilot')[n % 4]}",
                 pipeline.pk, final.pk, final.outcome, amount, pipeline.currency, final.probability,
                 closes.date(), company_id, rng.choice(LOST_REASONS) if final.outcome == "lost" else "",
                 at, closed_at)
            )  # fmt: skip
            link_rows.append((deal_id, contact_id))
            deal_id += 1
        context.report("deals", len(deal_rows), per_pipeline * len(funnels))
    rows_insert(
        Deal,
        ("id", "owner_id", "team_id", "version", "created_at", "updated_at", "name", "pipeline_id",
         "stage_id", "outcome", "amount_minor", "currency", "probability", "expected_close",
         "company_id", "lost_reason", "stage_entered_at", "closed_at"),
        deal_rows,
    )  # fmt: skip
    rows_insert(
        DealStageChange,
        ("deal_id", "from_stage_id", "to_stage_id", "seconds_in_from", "at", "by_id"),
        change_rows,
    )
    rows_insert(DealContact, ("deal_id", "contact_id"), link_rows)
    _sequence_reset(Deal)
    return len(deal_rows)


def _sequence_reset(model: Any) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


FIRST_NAMES = (
    "An",
    "Bình",
    "Chi",
    "伟",
    "芳",
    "Olivia",
    "Noah",
    "Hà",
    "秀英",
    "Liam",
    "Mai",
    "Zoe",
)
LAST_NAMES = ("Nguyễn", "Trần", "王", "李", "Smith", "Garcia", "Lê", "陈", "Brown", "Phạm")


def _leads(
    context: DemoContext, rng: random.Random, reps: list[Any], now: datetime, count: int
) -> int:
    """Leads from every channel in every open status, some disqualified with a reason."""
    statuses = ("new", "new", "working", "working", "qualified", "disqualified")
    rows = []
    for n in range(count):
        channel = Channel.values[n % len(Channel)]
        status = statuses[rng.randrange(len(statuses))]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        owner = rng.choice(reps)
        created = now - timedelta(days=rng.uniform(0, 120), minutes=rng.uniform(0, 600))
        company = rng.choice(
            ("Sen Vàng", "Minh Long", "长城贸易", "Blue Harbor", "Lotus Foods", "")
        )
        domain = {"Sen Vàng": "senvang.vn", "Minh Long": "minhlong.vn", "Blue Harbor": "blueharbor.io",
                  "Lotus Foods": "lotusfoods.com", "长城贸易": "greatwall-trade.cn"}.get(company, "")  # fmt: skip
        email = f"lead{n}@{domain or 'gmail.com'}"
        rows.append(
            (owner.pk, owner.team_id, 1, created, created, f"{last} {first}" if not first.isascii() else f"{first} {last}",
             email, "", company, domain, "", channel, rng.choice(CAMPAIGNS), status,
             rng.choice(DISQUALIFY_REASONS) if status == "disqualified" else "",
             rng.randint(5, 95) if n % 3 else None)
        )  # fmt: skip
    rows_insert(
        Lead,
        ("owner_id", "team_id", "version", "created_at", "updated_at", "full_name", "email",
         "phone", "company_name", "website", "message", "source_channel", "campaign", "status",
         "disqualified_reason", "score"),
        rows,
    )  # fmt: skip
    context.report("leads", len(rows), count)
    return len(rows)


def _orders(
    context: DemoContext,
    admin: Any,
    rng: np.random.Generator,
    contacts: list[tuple[int, int, int | None, int | None]],
    products: list[Product],
    now: datetime,
) -> tuple[int, int]:
    """Several years of orders for about 60% of the contacts (see the module docstring)."""
    start = now - timedelta(days=365 * HISTORY_YEARS)
    span_days = (now - start).days
    buyers = [c for c in contacts if rng.random() < BUYER_SHARE]
    n = len(buyers)
    rates = rng.gamma(shape=0.9, scale=4.0 / 0.9, size=n)  # purchases a year, mean 4
    dropout = rng.beta(1.2, 6.0, size=n)  # chance of churning after each purchase
    spend = rng.gamma(shape=3.0, scale=1.0, size=n)  # multiplier on basket size
    first_day = rng.uniform(0, span_days * 0.8, size=n)
    prices = np.array([p.price_minor for p in products])
    product_ids = [p.pk for p in products]

    # Each customer has favourite products (repeat buying of the same items).
    def generated() -> Iterator[OrderImport]:
        for i, (contact_id, _owner, _team, _company) in enumerate(buyers):
            if i % 500 == 0:
                context.report("orders (customers)", i, n)
            favourites = rng.choice(len(products), size=3, replace=False)
            day = first_day[i]
            while day < span_days:
                at = start + timedelta(days=float(day), hours=float(rng.uniform(8, 20)))
                n_lines = 1 + int(rng.poisson(0.8 * spend[i]))
                picks = [
                    int(favourites[rng.integers(3)]) if rng.random() < 0.7 else int(rng.integers(len(products)))
                    for _line in range(min(n_lines, 6))
                ]  # fmt: skip
                lines = [
                    (product_ids[k], 1 + int(rng.poisson(spend[i])), int(prices[k])) for k in picks
                ]
                yield OrderImport(
                    contact_id=contact_id, ordered_at=at.astimezone(UTC), lines=lines,
                    channel=("web_form", "phone", "email", "chat", "event")[int(rng.integers(5))],
                    status="refunded" if rng.random() < 0.02 else "paid",
                )  # fmt: skip
                if rng.random() < dropout[i]:
                    break  # churned
                day += float(rng.exponential(365.0 / rates[i]))
        context.report("orders (customers)", n, n)

    # One streamed import: into the empty order table it builds the indexes once at the end.
    result = services.orders_import(by=admin, orders=generated())
    total_orders, total_lines = result.orders, result.lines
    return total_orders, total_lines
