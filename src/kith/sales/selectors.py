"""Reads of sales for every door (UI, API, CLI), already limited by `visible_to`.

The kanban board costs a fixed number of queries whatever the number of deals: one for the
stages, one aggregate for the column totals, and one index range (LIMIT n) per column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Max, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import NotFound
from kith.core.models import ChangeRecord
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Company, Contact
from kith.engagement.models import Interaction
from kith.engagement.selectors import interactions_last_at
from kith.engagement.timeline import TimelineCursor, TimelineItem
from kith.identity.access import can, visible_to
from kith.identity.models import User
from kith.sales.models import (
    Deal,
    DealContact,
    DealStageChange,
    Lead,
    Order,
    Pipeline,
    Product,
    PurchaseSummary,
    Stage,
    WebForm,
)
from kith.sales.money import money_format

LEAD_ORDERING = Ordering("created_at", descending=True)
DEAL_ORDERING = Ordering("created_at", descending=True)
ORDER_ORDERING = Ordering("ordered_at", descending=True)
PRODUCT_ORDERING = Ordering("name")


def _not_found() -> NotFound:
    return NotFound(_("Not found."))


# --- leads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFilters:
    status: str = ""
    source_channel: str = ""
    owner_id: int | None = None
    campaign: str = ""


def leads_list(
    *, user: User, filters: LeadFilters = LeadFilters(), cursor: str | None = None, limit: int = 50
) -> Page[Lead]:
    """Newest leads first, one keyset page (2 queries: rows with owner, nothing else)."""
    leads = visible_to(Lead.objects.all(), user=user, module="leads")
    if filters.status:
        leads = leads.filter(status=filters.status)
    if filters.source_channel:
        leads = leads.filter(source_channel=filters.source_channel)
    if filters.owner_id:
        leads = leads.filter(owner_id=filters.owner_id)
    if filters.campaign:
        leads = leads.filter(campaign=filters.campaign)
    return paginate(
        leads.select_related("owner", "team"), ordering=LEAD_ORDERING, cursor=cursor, limit=limit
    )


def lead_get(*, user: User, lead_id: int) -> Lead:
    lead = (
        visible_to(Lead.objects.all(), user=user, module="leads")
        .select_related("owner", "team", "form", "contact", "company", "deal")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        raise _not_found()
    return lead


def record_history(*, model: str, object_id: int, limit: int = 100) -> list[ChangeRecord]:
    """A sales record's change history, newest first (the caller has checked visibility)."""
    return list(
        ChangeRecord.objects.filter(model=model, object_id=object_id)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def webforms_all() -> QuerySet[WebForm]:
    return WebForm.objects.select_related("owner", "team").order_by("name")


def webform_public(*, slug: str) -> WebForm:
    form = WebForm.objects.filter(slug=slug, is_active=True).first()
    if form is None:
        raise _not_found()
    return form


# --- pipelines and deals ----------------------------------------------------------------------


def pipelines_all() -> list[Pipeline]:
    return list(
        Pipeline.objects.prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
        )
    )


def pipeline_get(*, pipeline_id: int | None) -> Pipeline:
    """A pipeline (the first one when no id is given)."""
    pipelines = Pipeline.objects.order_by("position", "id")
    pipeline = pipelines.filter(pk=pipeline_id).first() if pipeline_id else pipelines.first()
    if pipeline is None:
        raise _not_found()
    return pipeline


def stage_deal_counts(*, pipeline: Pipeline) -> dict[int, int]:
    """How many deals (all, whoever owns them) are in each stage of a pipeline: what the
    pipeline editor says before an administrator deletes a stage."""
    rows = Deal.objects.filter(pipeline=pipeline).values("stage_id").annotate(n=Count("id"))
    return {row["stage_id"]: row["n"] for row in rows.order_by()}


@dataclass(frozen=True)
class DealFilters:
    owner_id: int | None = None
    team_id: int | None = None
    close_month: date | None = None  # the first day of the month
    outcome: str = ""
    pipeline_id: int | None = None


def _deals_filtered(*, user: User, filters: DealFilters) -> QuerySet[Deal]:
    deals = visible_to(Deal.objects.all(), user=user, module="deals")
    if filters.owner_id:
        deals = deals.filter(owner_id=filters.owner_id)
    if filters.team_id:
        deals = deals.filter(team_id=filters.team_id)
    if filters.close_month:
        start = filters.close_month.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        deals = deals.filter(expected_close__gte=start, expected_close__lt=end)
    if filters.outcome:
        deals = deals.filter(outcome=filters.outcome)
    if filters.pipeline_id:
        deals = deals.filter(pipeline_id=filters.pipeline_id)
    return deals


def _card_rows(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    return deals.select_related("owner", "company").only(
        "id", "name", "amount_minor", "currency", "probability", "expected_close",
        "stage_id", "stage_entered_at", "owner_id", "team_id", "company_id", "version",
        "owner__username", "owner__first_name", "owner__last_name", "company__name",
    )  # fmt: skip


CARD_FIELDS = (
    "pk", "name", "amount_minor", "currency", "expected_close", "stage_entered_at",
    "company_id", "company__name", "owner__username", "owner__first_name", "owner__last_name",
)  # fmt: skip


@dataclass(frozen=True)
class DealCard:
    """What a board card shows; read as plain rows (no model instances: a board has many)."""

    pk: int
    name: str
    amount_display: str
    owner: str
    company_id: int | None
    company_name: str
    expected_close: date | None


def _cards(rows: Iterable[Any]) -> list[DealCard]:
    return [
        DealCard(
            pk=r.pk,
            name=r.name,
            amount_display=money_format(r.amount_minor, r.currency),
            owner=f"{r.owner__first_name} {r.owner__last_name}".strip() or r.owner__username,
            company_id=r.company_id,
            company_name=r.company__name or "",
            expected_close=r.expected_close,
        )
        for r in rows
    ]


def _card_page(
    deals: QuerySet[Deal], cursor: str | None, limit: int
) -> tuple[list[DealCard], str | None]:
    page = paginate(
        deals.values_list(*CARD_FIELDS, named=True),  # type: ignore[arg-type]
        ordering=COLUMN_ORDERING,
        cursor=cursor,
        limit=limit,
    )
    return _cards(page.items), page.next_cursor


@dataclass
class StageTotal:
    currency: str
    amount_minor: int
    weighted_minor: int

    @property
    def display(self) -> str:
        return money_format(self.amount_minor, self.currency)


@dataclass
class BoardColumn:
    stage: Stage
    deals: list[DealCard]
    count: int
    totals: list[StageTotal]
    next_cursor: str | None


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn] = field(default_factory=list)


COLUMN_ORDERING = Ordering("stage_entered_at", descending=True)


def deals_board(
    *, user: User, pipeline: Pipeline, filters: DealFilters = DealFilters(), per_column: int = 20
) -> Board:
    """The kanban board of `pipeline`: per stage the first `per_column` deals (latest arrivals
    first), their count and amount totals by currency. 2 + one query per stage."""
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    deals = _deals_filtered(user=user, filters=filters).filter(pipeline=pipeline)
    totals: dict[int, list[StageTotal]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    for row in (
        deals.order_by()
        .values("stage_id", "currency")
        .annotate(
            n=Count("*"),
            amount=Sum("amount_minor"),
            weighted=Sum(F("amount_minor") * F("probability")),
        )
    ):
        counts[row["stage_id"]] += row["n"]
        totals[row["stage_id"]].append(
            StageTotal(
                currency=row["currency"],
                amount_minor=row["amount"] or 0,
                weighted_minor=(row["weighted"] or 0) // 100,
            )
        )
    board = Board(pipeline=pipeline)
    for stage in stages:
        if counts[stage.pk]:
            cards, next_cursor = _card_page(deals.filter(stage=stage), None, per_column)
        else:
            cards, next_cursor = [], None  # type: ignore[assignment]
        board.columns.append(
            BoardColumn(
                stage=stage,
                deals=cards,
                count=counts[stage.pk],
                totals=sorted(totals[stage.pk], key=lambda t: t.currency),
                next_cursor=next_cursor,
            )
        )
    return board


def deals_column_more(
    *, user: User, stage: Stage, filters: DealFilters, cursor: str, per_column: int = 20
) -> tuple[list[DealCard], str | None]:
    """The next cards of one board column, and the cursor of the ones after."""
    deals = _deals_filtered(user=user, filters=filters).filter(stage=stage)
    return _card_page(deals, cursor, per_column)


def deals_list(
    *,
    user: User,
    filters: DealFilters = DealFilters(),
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Deal]:
    """Deals newest first; stage, owner and company joined (one query per page)."""
    deals = _deals_filtered(user=user, filters=filters).select_related(
        "stage", "owner", "company", "pipeline", "team"
    )
    return paginate(deals, ordering=DEAL_ORDERING, cursor=cursor, limit=limit)


def deal_get(*, user: User, deal_id: int) -> Deal:
    deal = (
        visible_to(Deal.objects.all(), user=user, module="deals")
        .select_related("stage", "pipeline", "owner", "team", "company")
        .prefetch_related("contacts", "products")
        .filter(pk=deal_id)
        .first()
    )
    if deal is None:
        raise _not_found()
    return deal


@dataclass
class DealChoices:
    """The company, contacts and products a deal form shows as chosen (visible ones only)."""

    company: Any = None
    contacts: list[Contact] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)


def deal_choices(
    *,
    user: User,
    company_id: int | None = None,
    contact_ids: Iterable[int] = (),
    product_ids: Iterable[int] = (),
) -> DealChoices:
    """What a deal form (or one picker chip) shows as chosen, in the order given; ids the user
    may not see are left out."""
    choices = DealChoices()
    if company_id:
        choices.company = (
            visible_to(Company.objects.all(), user=user, module="companies")
            .filter(pk=company_id)
            .only("id", "name")
            .first()
        )
    ids = list(dict.fromkeys(contact_ids))
    if ids:
        found = visible_to(Contact.objects.filter(pk__in=ids), user=user, module="contacts")
        contacts = {c.pk: c for c in found.only("id", "full_name", "primary_email")}
        choices.contacts = [contacts[i] for i in ids if i in contacts]
    ids = list(dict.fromkeys(product_ids))
    if ids and can(user, "products", "read"):
        products = Product.objects.in_bulk(ids)
        choices.products = [products[i] for i in ids if i in products]
    return choices


@dataclass
class StageStay:
    stage: str
    entered_at: datetime
    left_at: datetime | None
    seconds: int


def deal_stage_history(*, deal: Deal, now: datetime | None = None) -> list[StageStay]:
    """The stages a (visible) deal went through with the time spent in each, oldest first;
    the current stay runs until `now`."""
    now = now or timezone.now()
    changes = list(
        DealStageChange.objects.filter(deal=deal).select_related("to_stage").order_by("at", "id")
    )
    stays: list[StageStay] = []
    for index, change in enumerate(changes):
        left = changes[index + 1].at if index + 1 < len(changes) else None
        end = left or now
        stays.append(
            StageStay(
                stage=change.to_stage.name,
                entered_at=change.at,
                left_at=left,
                seconds=int((end - change.at).total_seconds()),
            )
        )
    return stays


# --- forecast and activity --------------------------------------------------------------------


@dataclass
class ForecastRow:
    month: date
    owner_id: int
    owner: str
    currency: str
    pipeline_minor: int = 0  # open deals, amount x probability
    open_minor: int = 0  # open deals, unweighted
    won_minor: int = 0  # closed revenue

    @property
    def pipeline_display(self) -> str:
        return money_format(self.pipeline_minor, self.currency)

    @property
    def won_display(self) -> str:
        return money_format(self.won_minor, self.currency)

    @property
    def open_display(self) -> str:
        return money_format(self.open_minor, self.currency)


def _month(value: Any) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def sales_forecast(
    *, user: User, start: date, months: int = 6, filters: DealFilters = DealFilters()
) -> list[ForecastRow]:
    """Per month and owner (and currency): open deals weighted by their probability by
    expected close month, and won deals as closed revenue by the month they closed. Lost deals
    count nowhere. Weighted sums are in minor units, rounded down per month and owner."""
    start = start.replace(day=1)
    end = start
    for _i in range(months):
        end = (end + timedelta(days=32)).replace(day=1)
    deals = _deals_filtered(user=user, filters=filters)
    rows: dict[tuple[date, int, str], ForecastRow] = {}
    names = {}

    def row(month: date, owner_id: int, currency: str) -> ForecastRow:
        key = (month, owner_id, currency)
        if key not in rows:
            rows[key] = ForecastRow(month=month, owner_id=owner_id, owner="", currency=currency)
        return rows[key]

    open_rows = (
        deals.filter(outcome="open", expected_close__gte=start, expected_close__lt=end)
        .annotate(month=TruncMonth("expected_close"))
        .values("month", "owner_id", "currency")
        .annotate(weighted=Sum(F("amount_minor") * F("probability")), amount=Sum("amount_minor"))
        .order_by()
    )
    for r in open_rows:
        target = row(_month(r["month"]), r["owner_id"], r["currency"])
        target.pipeline_minor += (r["weighted"] or 0) // 100
        target.open_minor += r["amount"] or 0
    won_rows = (
        deals.filter(
            outcome="won",
            closed_at__gte=_aware(start),
            closed_at__lt=_aware(end),
        )
        .annotate(month=TruncMonth("closed_at"))
        .values("month", "owner_id", "currency")
        .annotate(amount=Sum("amount_minor"))
        .order_by()
    )
    for w in won_rows:
        row(_month(w["month"]), w["owner_id"], w["currency"]).won_minor += w["amount"] or 0
    owner_ids = {key[1] for key in rows}
    for user_row in User.objects.filter(pk__in=owner_ids):
        names[user_row.pk] = str(user_row)
    for item in rows.values():
        item.owner = names.get(item.owner_id, "")
    return sorted(rows.values(), key=lambda r: (r.month, r.owner, r.currency))


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


@dataclass
class StageMetric:
    stage: Stage
    entered: int  # deals that ever entered the stage
    converted_pct: float | None  # share of those that entered the next open/won stage
    avg_days: float | None  # average time spent in the stage before leaving it


@dataclass
class ActivityMonitor:
    stale: list[Deal]
    overdue: list[Deal]
    stages: list[StageMetric]
    stale_days: int


def _last_activity(deal_ids: list[int]) -> dict[int, datetime]:
    """When an interaction (call, email, meeting…) was last logged against each deal."""
    return interactions_last_at(record_model="sales.deal", record_ids=deal_ids)


def sales_activity(
    *,
    user: User,
    pipeline: Pipeline,
    stale_days: int = 14,
    limit: int = 50,
    today: date | None = None,
) -> ActivityMonitor:
    """Open deals with no activity (interaction or stage move) for `stale_days`, open deals
    past their expected close date, and per stage how many deals entered, the share that went
    on to the next stage and the average days spent there."""
    now = timezone.now()
    today = today or timezone.localdate()
    cutoff = now - timedelta(days=stale_days)
    deals = visible_to(Deal.objects.all(), user=user, module="deals").filter(
        pipeline=pipeline, outcome="open"
    )
    # Stale: not moved since the cutoff and no interaction logged against it since then (one
    # query; the subquery reads interaction_record_idx).
    recent = Interaction.objects.filter(
        record_model="sales.deal", record_id__isnull=False, occurred_at__gte=cutoff
    ).values("record_id")
    stale = list(
        _card_rows(deals.filter(stage_entered_at__lt=cutoff).exclude(pk__in=recent)).order_by(
            "stage_entered_at", "id"
        )[:limit]
    )
    last = _last_activity([d.pk for d in stale])
    for deal in stale:
        # The later of its last move and its last interaction.
        deal.last_activity_at = max(  # type: ignore[attr-defined]
            filter(None, (deal.stage_entered_at, last.get(deal.pk)))
        )
    overdue = list(
        _card_rows(deals.filter(expected_close__lt=today)).order_by("expected_close", "id")[:limit]
    )
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    visible_changes = DealStageChange.objects.filter(
        deal_id__in=visible_to(Deal.objects.all(), user=user, module="deals")
        .filter(pipeline=pipeline)
        .values("pk")
    )
    entered = dict(
        visible_changes.values("to_stage_id")
        .annotate(n=Count("deal_id", distinct=True))
        .values_list("to_stage_id", "n")
        .order_by()
    )
    avg_seconds = dict(
        visible_changes.filter(from_stage__isnull=False, seconds_in_from__isnull=False)
        .values("from_stage_id")
        .annotate(avg=Avg("seconds_in_from"))
        .values_list("from_stage_id", "avg")
        .order_by()
    )
    funnel = [s for s in stages if s.outcome != Stage.Outcome.LOST]
    metrics = []
    for stage in stages:
        n = entered.get(stage.pk, 0)
        pct = None
        if stage in funnel and stage.outcome == Stage.Outcome.OPEN and n:
            following = funnel[funnel.index(stage) + 1 :]
            if following:
                pct = round(100 * entered.get(following[0].pk, 0) / n, 1)
        avg = avg_seconds.get(stage.pk)
        metrics.append(
            StageMetric(
                stage=stage,
                entered=n,
                converted_pct=pct,
                avg_days=round(avg / 86400, 1) if avg is not None else None,
            )
        )
    return ActivityMonitor(stale=stale, overdue=overdue, stages=metrics, stale_days=stale_days)


# --- products and orders ----------------------------------------------------------------------


def products_list(
    *, user: User, q: str = "", category: str = "", cursor: str | None = None, limit: int = 50
) -> Page[Product]:
    """The catalogue by name; empty for users without read access to products."""
    products = Product.objects.all() if can(user, "products", "read") else Product.objects.none()
    if q:
        products = products.filter(Q(name__icontains=q) | Q(sku__iexact=q))
    if category:
        products = products.filter(category=category)
    return paginate(products, ordering=PRODUCT_ORDERING, cursor=cursor, limit=limit)


def product_get(*, user: User, product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None or not can(user, "products", "read"):
        raise _not_found()
    return product


@dataclass(frozen=True)
class OrderFilters:
    contact_id: int | None = None
    status: str = ""
    channel: str = ""
    owner_id: int | None = None


def orders_list(
    *,
    user: User,
    filters: OrderFilters = OrderFilters(),
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Order]:
    """Orders newest first (a contact's order history with `contact_id`): customer joined,
    no lines (one query per page)."""
    orders = visible_to(Order.objects.all(), user=user, module="orders")
    if filters.contact_id:
        orders = orders.filter(contact_id=filters.contact_id)
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.channel:
        orders = orders.filter(channel=filters.channel)
    if filters.owner_id:
        orders = orders.filter(owner_id=filters.owner_id)
    orders = orders.select_related("contact").only(
        "id", "number", "ordered_at", "status", "channel", "currency", "total_minor",
        "contact_id", "owner_id", "team_id", "version", "contact__full_name",
    )  # fmt: skip
    return paginate(orders, ordering=ORDER_ORDERING, cursor=cursor, limit=limit)


def order_get(*, user: User, order_id: int) -> Order:
    order = (
        visible_to(Order.objects.all(), user=user, module="orders")
        .select_related("contact", "owner", "team")
        .prefetch_related("lines__product")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise _not_found()
    return order


# --- contact and company panels, timeline -----------------------------------------------------


@dataclass
class SalesPanel:
    summaries: list[PurchaseSummary]
    recent_orders: list[Order]
    open_deals: list[Deal]
    can_see_orders: bool
    can_see_deals: bool


def contact_sales_panel(*, user: User, contact: Contact, limit: int = 5) -> SalesPanel:
    """Purchase summary (total spent, first/last purchase, order count), recent orders and
    open deals of a visible contact: three small indexed queries."""
    orders = visible_to(Order.objects.all(), user=user, module="orders")
    deals = visible_to(Deal.objects.all(), user=user, module="deals")
    see_orders = not orders.query.is_empty()
    see_deals = not deals.query.is_empty()
    return SalesPanel(
        summaries=list(PurchaseSummary.objects.filter(contact=contact).order_by("currency"))
        if see_orders
        else [],
        recent_orders=list(orders.filter(contact=contact).order_by("-ordered_at", "-id")[:limit])
        if see_orders
        else [],
        open_deals=list(
            deals.filter(
                outcome="open",
                pk__in=DealContact.objects.filter(contact=contact).values("deal_id"),
            ).select_related("stage")[:limit]
        )
        if see_deals
        else [],
        can_see_orders=see_orders,
        can_see_deals=see_deals,
    )


def company_sales_panel(*, user: User, company_id: int, limit: int = 5) -> SalesPanel:
    """The company's purchases (summed over its contacts' summaries) and open deals."""
    orders = visible_to(Order.objects.all(), user=user, module="orders")
    deals = visible_to(Deal.objects.all(), user=user, module="deals")
    see_orders = not orders.query.is_empty()
    see_deals = not deals.query.is_empty()
    summaries: list[PurchaseSummary] = []
    if see_orders:
        for r in (
            PurchaseSummary.objects.filter(contact__company_id=company_id)
            .values("currency")
            .annotate(
                n=Sum("order_count"),
                total=Sum("total_minor"),
                first=Min("first_at"),
                last=Max("last_at"),
            )
            .order_by("currency")
        ):
            summaries.append(
                PurchaseSummary(
                    currency=r["currency"],
                    order_count=r["n"] or 0,
                    total_minor=r["total"] or 0,
                    first_at=r["first"],
                    last_at=r["last"],
                )
            )
    return SalesPanel(
        summaries=summaries,
        recent_orders=list(
            orders.filter(contact__company_id=company_id)
            .select_related("contact")
            .order_by("-ordered_at", "-id")[:limit]
        )
        if see_orders
        else [],
        open_deals=list(
            deals.filter(outcome="open", company_id=company_id).select_related("stage")[:limit]
        )
        if see_deals
        else [],
        can_see_orders=see_orders,
        can_see_deals=see_deals,
    )


def orders_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """A contact's orders as timeline items, newest first (order_contact_date_idx)."""
    orders = visible_to(Order.objects.all(), user=user, module="orders").filter(
        contact_id=contact_id
    )
    if before is not None:
        orders = orders.filter(before.q(kind="order", at_field="ordered_at"))
    return [
        TimelineItem(
            kind="order",
            at=o.ordered_at,
            key=o.pk,
            title=_("Order %(number)s: %(total)s") % {"number": str(o), "total": o.total_display},
            summary=o.get_status_display(),
            url=f"/orders/{o.pk}/",
            icon="order",
        )
        for o in orders.order_by("-ordered_at", "-id")[:limit]
    ]


def deals_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """The deals a contact takes part in, by creation date, newest first."""
    deals = visible_to(Deal.objects.all(), user=user, module="deals").filter(
        pk__in=DealContact.objects.filter(contact_id=contact_id).values("deal_id")
    )
    if before is not None:
        deals = deals.filter(before.q(kind="deal", at_field="created_at"))
    return [
        TimelineItem(
            kind="deal",
            at=d.created_at,
            key=d.pk,
            title=_("Deal %(name)s: %(amount)s") % {"name": d.name, "amount": d.amount_display},
            summary=d.stage.name,
            url=f"/deals/{d.pk}/",
            icon="deal",
        )
        for d in deals.select_related("stage").order_by("-created_at", "-id")[:limit]
    ]
