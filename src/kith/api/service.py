"""API v1: tickets (CRUD, list with filters and cursor pagination, transitions, replies,
events), SLA policies and service metrics. Reads go through kith.service.selectors and writes
through kith.service.services, which apply the permission gate: a ticket outside the caller's
scope is a 404, the same as a missing one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, ErrorOut, Ref, named_ref, user_ref
from kith.core.validation import day_check
from kith.identity.access import require
from kith.service import selectors, services
from kith.service.models import Priority, SlaPolicy, Ticket, TicketEvent

router = Router(tags=["service"])

MAX_PAGE_SIZE = 200
NOT_SENT: Any = None


class TicketOut(Schema):
    id: int
    subject: str
    description: str
    contact_id: int | None
    company_id: int | None
    channel: str
    priority: str
    category: str
    status: str
    owner: Ref
    team: Ref | None
    sla_policy_id: int | None
    first_response_due: datetime | None
    first_responded_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    resolution_breached_at: datetime | None
    paused_at: datetime | None
    csat_score: int | None
    version: int
    created_at: datetime

    @staticmethod
    def resolve_owner(ticket: Ticket) -> dict[str, Any]:
        return user_ref(ticket.owner)

    @staticmethod
    def resolve_team(ticket: Ticket) -> dict[str, Any] | None:
        return named_ref(ticket.team)


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None
    prev_cursor: str | None


class TicketListParams(Schema):
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    status: str = Field("", description=", ".join(Ticket.Status.values))
    priority: str = Field("", description=", ".join(Priority.values))
    channel: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    breached: bool = False
    active: bool = Field(False, description="only new, open and pending tickets")


class TicketIn(Schema):
    subject: str
    description: str = ""
    contact_id: int | None = None
    company_id: int | None = None
    channel: str = Field(Ticket.Channel.API, description=", ".join(Ticket.Channel.values))
    priority: str = Field(Priority.NORMAL, description=", ".join(Priority.values))
    category: str = ""
    owner_id: int | None = None


class TicketPatch(Schema):
    version: int
    subject: str = NOT_SENT
    description: str = NOT_SENT
    contact_id: int | None = NOT_SENT
    company_id: int | None = NOT_SENT
    priority: str = NOT_SENT
    category: str = NOT_SENT
    owner_id: int = NOT_SENT


class TransitionIn(Schema):
    status: str = Field(..., description=", ".join(Ticket.Status.values))


class ReplyIn(Schema):
    text: str


class EventOut(Schema):
    id: int
    kind: str
    field: str
    old_value: str
    new_value: str
    actor: Ref | None
    at: datetime

    @staticmethod
    def resolve_actor(event: TicketEvent) -> dict[str, Any] | None:
        return user_ref(event.actor) if event.actor is not None else None


class SlaPolicyOut(Schema):
    id: int
    name: str
    position: int
    priority: str
    tier_field: str
    tier_value: str
    calendar: Ref
    calendar_timezone: str
    first_response_minutes: int
    resolution_minutes: int
    is_active: bool

    @staticmethod
    def resolve_calendar(policy: SlaPolicy) -> dict[str, Any] | None:
        return named_ref(policy.calendar)

    @staticmethod
    def resolve_calendar_timezone(policy: SlaPolicy) -> str:
        return policy.calendar.timezone


class MetricRowOut(Schema):
    label: str
    created: int
    resolved: int
    backlog: int
    first_response_hours: float | None
    resolution_hours: float | None
    with_sla: int
    sla_met: int
    sla_attainment: float | None
    csat_answers: int
    csat_average: float | None


class MonthOut(Schema):
    month: str
    created: int
    resolved: int
    csat_average: float | None


class MetricsOut(Schema):
    start: datetime
    end: datetime
    group: str
    total: MetricRowOut
    rows: list[MetricRowOut]
    months: list[MonthOut]


class MetricsParams(Schema):
    start: date | None = Field(None, description="first day (default: 180 days ago)")
    end: date | None = Field(None, description="last day, included (default: today)")
    group: str = Field("team", description="team or agent")
    team_id: int | None = None
    owner_id: int | None = None


@router.get("/tickets", response={200: TicketPage, **ERRORS}, tags=["tickets"])
def tickets_list(request: ApiRequest, params: Query[TicketListParams]) -> Any:
    """Tickets the caller may see, newest first; follow `next_cursor` with `?cursor=`."""
    filters = selectors.TicketFilters(
        status=params.status,
        priority=params.priority,
        channel=params.channel,
        owner_id=params.owner_id,
        team_id=params.team_id,
        contact_id=params.contact_id,
        company_id=params.company_id,
        breached=params.breached,
        active=params.active,
    )
    page = selectors.tickets_list(
        user=request.auth, filters=filters, cursor=params.cursor, limit=params.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@router.get("/tickets/{int:ticket_id}", response={200: TicketOut, **ERRORS}, tags=["tickets"])
def ticket_detail(request: ApiRequest, ticket_id: int) -> Any:
    return selectors.ticket_get(user=request.auth, ticket_id=ticket_id)


@router.post("/tickets", response={201: TicketOut, **ERRORS}, tags=["tickets"])
def ticket_create(request: ApiRequest, payload: TicketIn) -> Any:
    ticket = services.ticket_create(by=request.auth, **payload.model_dump())
    return Status(201, selectors.ticket_get(user=request.auth, ticket_id=ticket.pk))


@router.patch(
    "/tickets/{int:ticket_id}",
    response={200: TicketOut, 409: ErrorOut, **ERRORS},
    tags=["tickets"],
)
def ticket_update(request: ApiRequest, ticket_id: int, payload: TicketPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    services.ticket_update(by=request.auth, ticket_id=ticket_id, version=version, **changes)
    return selectors.ticket_get(user=request.auth, ticket_id=ticket_id)


@router.post(
    "/tickets/{int:ticket_id}/transition", response={200: TicketOut, **ERRORS}, tags=["tickets"]
)
def ticket_transition(request: ApiRequest, ticket_id: int, payload: TransitionIn) -> Any:
    """Move the ticket to another status (new → open → pending → resolved → closed)."""
    services.ticket_transition(by=request.auth, ticket_id=ticket_id, status=payload.status)
    return selectors.ticket_get(user=request.auth, ticket_id=ticket_id)


@router.post(
    "/tickets/{int:ticket_id}/replies", response={200: TicketOut, **ERRORS}, tags=["tickets"]
)
def ticket_reply(request: ApiRequest, ticket_id: int, payload: ReplyIn) -> Any:
    """Email an agent's reply to the ticket's contact (threaded, so the answer comes back on
    this ticket); the first reply sent stops the first-response clock."""
    services.ticket_reply(by=request.auth, ticket_id=ticket_id, text=payload.text)
    return selectors.ticket_get(user=request.auth, ticket_id=ticket_id)


@router.post(
    "/tickets/{int:ticket_id}/notes", response={200: TicketOut, **ERRORS}, tags=["tickets"]
)
def ticket_note(request: ApiRequest, ticket_id: int, payload: ReplyIn) -> Any:
    """Add an internal note: never emailed, and no response for the SLA."""
    services.ticket_note(by=request.auth, ticket_id=ticket_id, text=payload.text)
    return selectors.ticket_get(user=request.auth, ticket_id=ticket_id)


@router.get(
    "/tickets/{int:ticket_id}/events", response={200: list[EventOut], **ERRORS}, tags=["tickets"]
)
def ticket_events(request: ApiRequest, ticket_id: int) -> Any:
    """Every change of the ticket, oldest first."""
    ticket = selectors.ticket_get(user=request.auth, ticket_id=ticket_id)
    return selectors.ticket_events(ticket=ticket)


@router.get("/sla-policies", response={200: list[SlaPolicyOut], **ERRORS}, tags=["tickets"])
def sla_policies(request: ApiRequest) -> Any:
    """SLA policies in matching order."""
    require(request.auth, "tickets", "read")
    return selectors.sla_policies_list()


@router.get("/service-metrics", response={200: MetricsOut, **ERRORS}, tags=["tickets"])
def service_metrics(request: ApiRequest, params: Query[MetricsParams]) -> Any:
    """First response and resolution hours, SLA attainment, backlog and CSAT of the tickets
    created in the period, in total, per team or agent, and per month."""
    require(request.auth, "tickets", "read")
    day_check(params.start, field="start")
    day_check(params.end, field="end")
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(params.start or today - timedelta(180), time.min))
    end = timezone.make_aware(datetime.combine(params.end or today, time.min)) + timedelta(days=1)
    return selectors.service_metrics(
        user=request.auth,
        start=start,
        end=end,
        group="agent" if params.group == "agent" else "team",
        team_id=params.team_id,
        owner_id=params.owner_id,
    )
