"""Demo data of sales: products, two pipelines with deals in every stage (and their stage
history), leads from every channel, a web form, and several years of orders.

The orders follow a buy-till-you-die process so later analytics (BG/NBD CLV, churn) find
signal: each customer has a purchase rate drawn from a gamma distribution (heterogeneous
buyers), a dropout probability after each purchase drawn from a beta distribution (some churn
early, some stay), and a mean spend per order drawn from another gamma.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from kith.core.bulk import next_id, rows_insert
from kith.core.translated import seeded_name
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
# Named in the installation's language (KITH_LANGUAGE), with the other languages' names beside.
PIPELINES = (
    (pgettext_lazy("pipeline", "New business"), "USD", (
        (pgettext_lazy("stage", "Qualify"), 10, "open"), (pgettext_lazy("stage", "Meeting"), 25, "open"),
        (pgettext_lazy("stage", "Proposal"), 50, "open"), (pgettext_lazy("stage", "Negotiation"), 75, "open"),
        (pgettext_lazy("stage", "Won"), 100, "won"), (pgettext_lazy("stage", "Lost"), 0, "lost"))),
    (pgettext_lazy("pipeline", "Renewals"), "USD", (
        (pgettext_lazy("stage", "Due"), 60, "open"), (pgettext_lazy("stage", "Quoted"), 80, "open"),
        (pgettext_lazy("stage", "Renewed"), 100, "won"), (pgettext_lazy("stage", "Churned"), 0, "lost"))),
)  # fmt: skip


def _pipeline_seed(admin: Any, name: Any, currency: str, stages: Any) -> Any:
    own, others = seeded_name(name, limit=120)
    inputs = []
    for stage, probability, outcome in stages:
        stage_own, stage_others = seeded_name(stage, limit=80)
        inputs.append(StageInput(stage_own, probability, outcome, name_translations=stage_others))
    return services.pipeline_create(
        by=admin, name=own, currency=currency, stages=inputs, name_translations=others
    )


LOST_REASONS = ("Price", "Went with a competitor", "No budget", "No decision", "Timing")
DISQUALIFY_REASONS = ("Student project", "Spam", "Outside our region", "Duplicate")
CAMPAIGNS = ("Spring expo", "Newsletter March", "Partner webinar", "")
HISTORY_YEARS = 4
# Share of contacts who ever buy, by demo size.
BUYER_SHARE = 0.6


def demo_sales_load(context: DemoContext) -> None:
    """Adds the sales demo records; counts go to context.counts."""
    rng = context.rng("sales")
    np_rng = np.random.default_rng(rng.randrange(2**32))
    admin = context.users["admin"]
    reps = [u for u in context.users.values() if u.role_id and u.role.slug == "sales_rep"]
    now = timezone.now()
    products = _products(admin)
    funnels = [
        _pipeline_seed(admin, name, currency, stages) for name, currency, stages in PIPELINES
    ]
    contacts = list(
        Contact.objects.order_by("id").values_list("id", "owner_id", "team_id", "company_id")
    )
    deals = _deals(context, rng, funnels, contacts, now)
    leads = _leads(context, rng, reps, now, count=max(len(Channel) * 4, len(contacts) // 2))
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


# The demo's deal process, per pipeline: the chance to move on from each open stage (so the
# chance to win from a stage is the product of what is left: New business 13 / 25 / 42 / 70 %,
# Renewals 60 / 80 %, near the stages' 10 / 25 / 50 / 75 and 60 / 80) and the mean days in a
# stage. A deal that is lost lingers longer first (stalled deals are the ones that die), a
# rep's skill moves every step, and the close date the rep expects is the deal's planned
# length from its start, give or take — so won deals slip around it as real ones do.
DEAL_ADVANCE = {"New business": (0.5, 0.6, 0.6, 0.7), "Renewals": (0.75, 0.8)}
DEAL_STAGE_DAYS = {"New business": 15.0, "Renewals": 12.0}
DEAL_HISTORY_DAYS = 400


def _deal_walk(
    rng: random.Random,
    open_stages: list[Any],
    advance: tuple[float, ...],
    stage_days: float,
    skill: float,
    created: datetime,
    now: datetime,
) -> tuple[list[tuple[Any, datetime]], str]:
    """The stages a deal passed (stage, entered) and its outcome now: won, lost or open."""
    path = [(open_stages[0], created)]
    at = created
    for k in range(len(open_stages)):
        p = min(0.97, max(0.03, advance[k] * skill))
        moves_on = rng.random() < p
        stay = timedelta(days=rng.gammavariate(2.0, stage_days / 2) * (1.0 if moves_on else 1.8))
        if at + stay >= now:
            return path, "open"
        at += stay
        if not moves_on:
            return [*path, (None, at)], "lost"
        if k + 1 < len(open_stages):
            path.append((open_stages[k + 1], at))
    return [*path, (None, at)], "won"


def _deals(
    context: DemoContext,
    rng: random.Random,
    funnels: list[Any],
    contacts: list[tuple[int, int, int | None, int | None]],
    now: datetime,
    per_pipeline: int = 0,
) -> int:
    """Deals started over the last DEAL_HISTORY_DAYS by the process above, each with its stage
    history; those still in progress are the open pipeline. Every stage gets deals: the first
    ones of each pipeline are recent and end in each stage in turn."""
    per_pipeline = per_pipeline or max(len(Stage.Outcome) * 8, len(contacts) // 8)
    deal_id = next_id(Deal)
    deal_rows: list[tuple] = []
    change_rows: list[tuple] = []
    link_rows: list[tuple] = []
    skills: dict[int, float] = {}
    for pipeline in funnels:
        stages = list(pipeline.stages.order_by("position"))
        open_stages = [s for s in stages if s.outcome == "open"]
        won = next(s for s in stages if s.outcome == "won")
        lost = next(s for s in stages if s.outcome == "lost")
        advance = DEAL_ADVANCE.get(pipeline.name, (0.6,) * len(open_stages))
        stage_days = DEAL_STAGE_DAYS.get(pipeline.name, 14.0)
        for n in range(per_pipeline):
            contact_id, owner_id, team_id, company_id = rng.choice(contacts)
            skill = skills.setdefault(owner_id, rng.uniform(0.85, 1.15))
            if n < len(stages) * 3:
                # Recent, walked straight to the stage it ends in.
                final = stages[n % len(stages)]
                created = now - timedelta(days=rng.uniform(5, 40))
                if final.outcome == "open":
                    steps = open_stages[: open_stages.index(final) + 1]
                elif final.outcome == "won":
                    steps = open_stages
                else:
                    steps = open_stages[: rng.randint(1, len(open_stages))]
                gap = (now - created) / (len(steps) + 1)
                path = [(stage, created + gap * i) for i, stage in enumerate(steps)]
                if final.outcome != "open":
                    path.append((None, created + gap * len(steps)))
                outcome = final.outcome
            else:
                created = now - timedelta(days=rng.uniform(1, DEAL_HISTORY_DAYS))
                path, outcome = _deal_walk(
                    rng, open_stages, advance, stage_days, skill, created, now
                )
                final = path[-1][0] if outcome == "open" else won if outcome == "won" else lost
            if path[-1][0] is None:
                path[-1] = (final, path[-1][1])
            previous = None
            for stage, at in path:
                seconds = int((at - previous[1]).total_seconds()) if previous else None
                change_rows.append((deal_id, previous[0].pk if previous else None, stage.pk,
                                    seconds, at, None))  # fmt: skip
                previous = (stage, at)
            entered = path[-1][1]
            planned = stage_days * len(open_stages) * rng.lognormvariate(0.0, 0.3)
            closes = (created + timedelta(days=planned)).date()
            if outcome == "open" and closes < now.date():
                # Overdue: the rep has pushed the date out, as reps do.
                closes = (now + timedelta(days=rng.uniform(3, 30))).date()
            amount = int(rng.lognormvariate(11.0, 0.9)) // 100 * 100  # around 600 USD, in cents
            deal_rows.append(
                (deal_id, owner_id, team_id, 1, created, created,
                 f"{pipeline.name[:3]}-{deal_id} {('Order', 'Renewal', 'Upgrade', 'Pilot')[n % 4]}",
                 pipeline.pk, final.pk, outcome, amount, pipeline.currency, final.probability,
                 closes, company_id, rng.choice(LOST_REASONS) if outcome == "lost" else "",
                 entered, entered if outcome != "open" else None)
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


# The demo's lead process (known, so the lead-scoring model has something to find): the
# log-odds of converting by channel, a bonus for a referral answered within 4 hours (an
# interaction naive Bayes cannot see), replies, a slow or missing first response.
LEAD_CHANNEL_LOGIT = {"referral": 0.9, "event": 0.4, "phone": 0.3, "web_form": 0.0, "email": 0.0,
                      "chat": -0.2, "api": -0.4, "import": -0.8, "social": -0.7}  # fmt: skip
LEAD_DECIDED_AFTER_DAYS = 21


def _lead_touches(
    rng: random.Random, created: datetime, until: datetime, channel: str
) -> tuple[list[tuple[datetime, str, str]], float]:
    """The lead's activities (time, kind, direction) up to `until` and its log-odds."""
    touches: list[tuple[datetime, str, str]] = []
    logit = -0.9 + LEAD_CHANNEL_LOGIT.get(channel, 0.0)
    if rng.random() < 0.15:  # nobody answered
        return touches, logit - 1.6
    hours = rng.expovariate(1 / 18)
    first = created + timedelta(hours=hours)
    if first > until:
        return touches, logit - 1.6
    touches.append((first, rng.choice(("call", "email")), "out"))
    logit += -0.025 * min(hours, 96) + (1.6 if channel == "referral" and hours < 4 else 0.0)
    replies = 0
    for _n in range(rng.choice((0, 0, 1, 1, 2, 3))):
        at = first + timedelta(hours=rng.uniform(1, 24 * 10))
        if at <= until:
            kind = rng.choice(("email", "email", "call", "meeting"))
            touches.append((at, kind, "in" if kind == "email" else "out"))
            replies += kind == "email"
    return touches, logit + (0.8 if replies else 0.0)


def _leads(
    context: DemoContext, rng: random.Random, reps: list[Any], now: datetime, count: int
) -> int:
    """Leads from every channel: those older than three weeks mostly decided (converted or
    disqualified with a reason) by the known process above, the recent ones open, each with
    the first response and later activities logged on it."""
    from kith.engagement.models import Interaction

    lead_id = next_id(Lead)
    rows = []
    touches: list[Interaction] = []
    for n in range(count):
        channel = Channel.values[n % len(Channel)]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        owner = rng.choice(reps)
        created = now - timedelta(days=rng.uniform(0, 240), minutes=rng.uniform(0, 600))
        company = rng.choice(
            ("Sen Vàng", "Minh Long", "长城贸易", "Blue Harbor", "Lotus Foods", "")
        )
        domain = {"Sen Vàng": "senvang.vn", "Minh Long": "minhlong.vn", "Blue Harbor": "blueharbor.io",
                  "Lotus Foods": "lotusfoods.com", "长城贸易": "greatwall-trade.cn"}.get(company, "")  # fmt: skip
        email = f"lead{n}@{domain or 'gmail.com'}"
        campaign = rng.choice(CAMPAIGNS)
        age_days = (now - created).days
        decided = (age_days > LEAD_DECIDED_AFTER_DAYS and rng.random() < 0.85) or n < 4
        decided_at = min(now, created + timedelta(days=rng.uniform(3, LEAD_DECIDED_AFTER_DAYS)))
        acts, logit = _lead_touches(rng, created, decided_at if decided else now, channel)
        logit += 0.4 if campaign == "Partner webinar" else 0.0
        if n < 4:  # every status in the tiniest demo
            status = ("new", "working", "disqualified", "converted")[n]
        elif decided:
            won = rng.random() < 1 / (1 + math.exp(-logit))
            status = "converted" if won else "disqualified"
        else:
            status = rng.choice(("new", "new", "working", "qualified"))
        if status in ("new", "working", "qualified"):
            decided_at = created
        rows.append(
            (lead_id, owner.pk, owner.team_id, 1, created, decided_at if status != "new" else created,
             f"{last} {first}" if not first.isascii() else f"{first} {last}",
             email, "", company, domain, "", channel, campaign, status,
             rng.choice(DISQUALIFY_REASONS) if status == "disqualified" else "",
             decided_at if status == "converted" else None)
        )  # fmt: skip
        for at, kind, direction in acts:
            touches.append(
                Interaction(
                    owner_id=owner.pk, team_id=owner.team_id, kind=kind, direction=direction,
                    occurred_at=at, subject=f"{first} {last}", record_model="sales.lead",
                    record_id=lead_id,
                )
            )  # fmt: skip
        lead_id += 1
    rows_insert(
        Lead,
        ("id", "owner_id", "team_id", "version", "created_at", "updated_at", "full_name", "email",
         "phone", "company_name", "website", "message", "source_channel", "campaign", "status",
         "disqualified_reason", "converted_at"),
        rows,
    )  # fmt: skip
    _sequence_reset(Lead)
    Interaction.objects.bulk_create(touches, batch_size=2000)
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
