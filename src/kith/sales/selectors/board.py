"""The kanban board of a pipeline.

It costs a fixed number of queries whatever the number of deals: one for the stages, one
aggregate for the column totals, and one index range (LIMIT n) per column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, F, QuerySet, Sum

from kith.core.pagination import Ordering, paginate
from kith.identity.access import linked_name
from kith.identity.models import User
from kith.sales.models import Deal, Pipeline, Stage
from kith.sales.money import money_format
from kith.sales.selectors.deals import ALL_DEALS, DealFilters, deals_filtered


def deals_for_cards(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Deals with only the columns a card (or a row of the activity monitor) shows."""
    return deals.select_related("owner", "company").only(
        "id", "name", "amount_minor", "currency", "probability", "expected_close",
        "stage_id", "stage_entered_at", "owner_id", "team_id", "company_id", "version",
        "owner__username", "owner__first_name", "owner__last_name", "company__name",
    )  # fmt: skip


CARD_FIELDS = (
    "pk", "name", "amount_minor", "currency", "expected_close", "stage_entered_at",
    "company_id", "company__name", "company__team_id", "company__owner_id",
    "owner__username", "owner__first_name", "owner__last_name",
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


def _cards(rows: Iterable[Any], user: User) -> list[DealCard]:
    return [
        DealCard(
            pk=r.pk,
            name=r.name,
            amount_display=money_format(r.amount_minor, r.currency),
            owner=f"{r.owner__first_name} {r.owner__last_name}".strip() or r.owner__username,
            company_id=r.company_id,
            # Another team's company is not named on this team's card.
            company_name=linked_name(
                user,
                "companies",
                SimpleNamespace(team_id=r.company__team_id, owner_id=r.company__owner_id),
                name=r.company__name or "",
            )
            if r.company_id
            else "",
            expected_close=r.expected_close,
        )
        for r in rows
    ]


def _card_page(
    deals: QuerySet[Deal], cursor: str | None, limit: int, user: User
) -> tuple[list[DealCard], str | None]:
    page = paginate(
        deals.values_list(*CARD_FIELDS, named=True),  # type: ignore[arg-type]
        ordering=COLUMN_ORDERING,
        cursor=cursor,
        limit=limit,
    )
    return _cards(page.items, user), page.next_cursor


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
    *, user: User, pipeline: Pipeline, filters: DealFilters = ALL_DEALS, per_column: int = 20
) -> Board:
    """The kanban board of `pipeline`: per stage the first `per_column` deals (latest arrivals
    first), their count and amount totals by currency. 2 + one query per stage."""
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    deals = deals_filtered(user=user, filters=filters).filter(pipeline=pipeline)
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
            cards, next_cursor = _card_page(deals.filter(stage=stage), None, per_column, user)
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
    deals = deals_filtered(user=user, filters=filters).filter(stage=stage)
    return _card_page(deals, cursor, per_column, user)
