"""Reads of service: ticket lists and pages, events, SLA policies, metrics, panels and the
timeline sources. Every read is filtered by `visible_to(user, "tickets")`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.apps import SearchHit
from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.core.validation import date_range_check
from kith.customers.models import Company, Contact
from kith.engagement.records import RecordRef
from kith.engagement.selectors import duration_words
from kith.engagement.texts import CustomerText
from kith.engagement.timeline import TimelineCursor, TimelineItem
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.service.models import BusinessCalendar, ContactCsat, SlaPolicy, Ticket, TicketEvent

TICKET_ORDERING = Ordering("created_at", descending=True)
# The longest service-metrics range, in days (ten years of months).
METRICS_MAX_DAYS = 3660
ACTIVE = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING)


def _tickets(user: User) -> QuerySet[Ticket]:
    return visible_to(Ticket.objects.all(), user=user, module="tickets")


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""
    priority: str = ""
    channel: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    breached: bool = False
    active: bool = False


# What a row of the ticket list page shows: a page reads these narrow rows, not every column
# of the ticket, its owner, team and contact.
LIST_COLUMNS = (
    "id", "subject", "status", "priority", "channel", "created_at", "owner_id", "team_id",
    "contact_id", "resolved_at", "resolution_due", "first_response_breached_at",
    "resolution_breached_at", "owner__id", "owner__username", "owner__first_name",
    "owner__last_name", "contact__id", "contact__full_name", "contact__team_id",
    "contact__owner_id",
)  # fmt: skip


def tickets_list(
    *,
    user: User,
    filters: TicketFilters = TicketFilters(),
    cursor: str | None = None,
    limit: int = 50,
    columns: Iterable[str] | None = None,
) -> Page[Ticket]:
    """Newest tickets first, one keyset page: one query (rows with owner, team and contact;
    only `columns` when given, e.g. LIST_COLUMNS for the list page, owner and contact only)."""
    tickets = _tickets(user)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    elif filters.active:
        tickets = tickets.filter(status__in=ACTIVE)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.owner_id:
        tickets = tickets.filter(owner_id=filters.owner_id)
    if filters.team_id:
        tickets = tickets.filter(team_id=filters.team_id)
    if filters.contact_id:
        tickets = tickets.filter(contact_id=filters.contact_id)
    if filters.company_id:
        tickets = tickets.filter(company_id=filters.company_id)
    if filters.breached:
        tickets = tickets.filter(
            Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
        )
    if columns is not None:
        tickets = tickets.select_related("owner", "contact").only(*columns)
    else:
        tickets = tickets.select_related("owner", "team", "contact")
    return paginate(tickets, ordering=TICKET_ORDERING, cursor=cursor, limit=limit)


def ticket_get(*, user: User, ticket_id: int) -> Ticket:
    """One visible ticket with its people and policy; NotFound otherwise."""
    ticket = (
        _tickets(user)
        .select_related("owner", "team", "contact", "company", "sla_policy")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(_("Not found."))
    return ticket


def ticket_events(*, ticket: Ticket, limit: int = 500) -> list[TicketEvent]:
    """The ticket's events, oldest first (the caller got the ticket through ticket_get)."""
    return list(
        TicketEvent.objects.filter(ticket=ticket)
        .select_related("actor")
        .order_by("at", "id")[:limit]
    )


@dataclass(frozen=True)
class SlaClock:
    """Where one SLA target stands: due time, whether met/breached, and business time left."""

    name: str
    due: datetime | None
    done_at: datetime | None
    breached: bool
    paused: bool
    seconds_left: int | None  # wall-clock seconds until due (negative: overdue); None: done

    @property
    def left_words(self) -> str:
        """The time left in words in the active language ("6 ngày 18 giờ")."""
        return duration_words(self.seconds_left or 0)


def ticket_sla(*, ticket: Ticket, now: datetime | None = None) -> list[SlaClock]:
    """The first-response and resolution clocks of a ticket, as shown on its page."""
    now = now or timezone.now()
    clocks = []
    for name, due, done, breached in (
        (
            "first_response",
            ticket.first_response_due,
            ticket.first_responded_at,
            ticket.first_response_breached_at,
        ),
        ("resolution", ticket.resolution_due, ticket.resolved_at, ticket.resolution_breached_at),
    ):
        if due is None:
            continue
        late = breached is not None or (done is not None and done > due)
        clocks.append(
            SlaClock(
                name=name,
                due=due,
                done_at=done,
                breached=late or (done is None and due < now),
                paused=name == "resolution" and ticket.paused_at is not None,
                seconds_left=None if done is not None else int((due - now).total_seconds()),
            )
        )
    return clocks


def sla_policies_list() -> list[SlaPolicy]:
    """Every SLA policy in matching order, with its calendar."""
    return list(SlaPolicy.objects.select_related("calendar").order_by("position", "id"))


def calendars_list() -> list[BusinessCalendar]:
    return list(BusinessCalendar.objects.prefetch_related("holidays").order_by("name"))


# --- metrics ---------------------------------------------------------------------------------


@dataclass
class MetricRow:
    """Service figures of one group (a team, an agent or everything) over a period."""

    label: str
    created: int = 0
    resolved: int = 0
    first_response_hours: float | None = None  # mean wall-clock hours to the first response
    resolution_hours: float | None = None  # mean wall-clock hours to resolution
    with_sla: int = 0
    sla_met: int = 0
    csat_answers: int = 0
    csat_average: float | None = None
    backlog: int = 0

    @property
    def sla_attainment(self) -> float | None:
        """Share (0–100) of tickets under a policy with neither target breached."""
        return round(100 * self.sla_met / self.with_sla, 1) if self.with_sla else None


@dataclass
class MonthPoint:
    month: str  # "2026-11"
    created: int = 0
    resolved: int = 0
    csat_average: float | None = None
    first_response_hours: float | None = None
    resolution_hours: float | None = None
    sla_attainment: float | None = None  # 0–100, of the month's tickets under a policy


@dataclass
class ServiceMetrics:
    start: datetime
    end: datetime
    group: str
    total: MetricRow
    rows: list[MetricRow] = field(default_factory=list)
    months: list[MonthPoint] = field(default_factory=list)


def _hours(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 3600, 1) if value is not None else None


def _aggregates() -> dict:
    return {
        "created": Count("pk"),
        "resolved": Count("pk", filter=Q(resolved_at__isnull=False)),
        "fr": Avg(
            ExpressionWrapper(
                F("first_responded_at") - F("created_at"), output_field=DurationField()
            ),
            filter=Q(first_responded_at__isnull=False),
        ),
        "res": Avg(
            ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
            filter=Q(resolved_at__isnull=False),
        ),
        "with_sla": Count("pk", filter=Q(sla_policy__isnull=False)),
        "met": Count(
            "pk",
            filter=Q(
                sla_policy__isnull=False,
                first_response_breached_at__isnull=True,
                resolution_breached_at__isnull=True,
            ),
        ),
        "csat_n": Count("pk", filter=Q(csat_score__isnull=False)),
        "csat": Avg("csat_score"),
    }


def _row(label: str, values: dict) -> MetricRow:
    return MetricRow(
        label=label,
        created=values["created"],
        resolved=values["resolved"],
        first_response_hours=_hours(values["fr"]),
        resolution_hours=_hours(values["res"]),
        with_sla=values["with_sla"],
        sla_met=values["met"],
        csat_answers=values["csat_n"],
        csat_average=round(values["csat"], 2) if values["csat"] is not None else None,
    )


def service_metrics(
    *,
    user: User,
    start: datetime,
    end: datetime,
    group: str = "team",
    team_id: int | None = None,
    owner_id: int | None = None,
) -> ServiceMetrics:
    """First response and resolution times, SLA attainment, CSAT and backlog of the tickets
    created in [start, end), in total, per team or agent (`group`) and per month. Times are
    wall-clock hours; backlog counts tickets open now. Five grouped queries whatever the size.
    A range over METRICS_MAX_DAYS or outside 1900–2999 is a FieldError."""
    date_range_check(start=start.date(), end=end.date(), max_days=METRICS_MAX_DAYS + 1)
    tickets = _tickets(user)
    if team_id:
        tickets = tickets.filter(team_id=team_id)
    if owner_id:
        tickets = tickets.filter(owner_id=owner_id)
    period = tickets.filter(created_at__gte=start, created_at__lt=end)
    key, label_key = (
        ("owner_id", "owner__username") if group == "agent" else ("team_id", "team__name")
    )
    total = _row(_("All"), period.aggregate(**_aggregates()))
    total.backlog = tickets.filter(status__in=ACTIVE).count()
    backlog = dict(
        tickets.filter(status__in=ACTIVE).values(key).annotate(n=Count("pk")).values_list(key, "n")
    )
    rows = []
    for r in period.values(key, label_key).annotate(**_aggregates()).order_by(label_key):
        row = _row(r[label_key] or _("No team"), r)
        row.backlog = backlog.get(r[key], 0)
        rows.append(row)
    months = []
    for m in (
        period.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(**_aggregates())
        .order_by("month")
    ):
        if m["month"] is None:
            continue
        row = _row("", dict(m))
        months.append(
            MonthPoint(
                month=m["month"].strftime("%Y-%m"),
                created=row.created,
                resolved=row.resolved,
                csat_average=row.csat_average,
                first_response_hours=row.first_response_hours,
                resolution_hours=row.resolution_hours,
                sla_attainment=row.sla_attainment,
            )
        )
    return ServiceMetrics(start=start, end=end, group=group, total=total, rows=rows, months=months)


# --- panels and timeline ---------------------------------------------------------------------


@dataclass
class TicketsPanel:
    tickets: list[Ticket]
    open_count: int
    csat: ContactCsat | None = None


def contact_tickets_panel(*, user: User, contact: Contact, limit: int = 5) -> TicketsPanel:
    """A visible contact's latest tickets, open count and CSAT summary: three indexed queries."""
    tickets = _tickets(user).filter(contact=contact)
    return TicketsPanel(
        tickets=list(tickets.order_by("-created_at", "-id")[:limit]),
        open_count=tickets.filter(status__in=ACTIVE).count(),
        csat=ContactCsat.objects.filter(contact=contact).first()
        if not tickets.query.is_empty()
        else None,
    )


def company_tickets_panel(*, user: User, company_id: int, limit: int = 5) -> TicketsPanel:
    """A visible company's latest tickets and open count."""
    tickets = _tickets(user).filter(company_id=company_id)
    return TicketsPanel(
        tickets=list(tickets.select_related("contact").order_by("-created_at", "-id")[:limit]),
        open_count=tickets.filter(status__in=ACTIVE).count(),
    )


def tickets_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """A contact's tickets as timeline items, newest first (ticket_contact_idx)."""
    tickets = _tickets(user).filter(contact_id=contact_id)
    if before is not None:
        tickets = tickets.filter(before.q(kind="ticket", at_field="created_at"))
    return [
        TimelineItem(
            kind="ticket",
            at=t.created_at,
            key=t.pk,
            title=_("Ticket %(ref)s: %(subject)s") % {"ref": t.reference, "subject": t.subject},
            summary=t.get_status_display(),
            url=f"/tickets/{t.pk}/",
            icon="ticket",
        )
        for t in tickets.order_by("-created_at", "-id")[:limit]
    ]


def ticket_ref(*, user: User, record_id: int) -> RecordRef:
    """A ticket as a record engagement can be about (interactions, comments, follows); its
    contact and company only when the user may see them too. NotFound if the ticket is not
    visible."""
    row = (
        _tickets(user)
        .filter(pk=record_id)
        .values_list("subject", "contact_id", "company_id")
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    subject = row[0]
    contact_id: int | None = row[1]
    company_id: int | None = row[2]
    if contact_id is not None and not (
        visible_to(Contact.objects.all(), user=user, module="contacts")
        .filter(pk=contact_id)
        .exists()
    ):
        contact_id = None
    if company_id is not None and not (
        visible_to(Company.objects.all(), user=user, module="companies")
        .filter(pk=company_id)
        .exists()
    ):
        company_id = None
    return RecordRef(
        model="service.ticket",
        id=record_id,
        label=f"[#{record_id}] {subject}",
        url=reverse("ticket-detail", args=[record_id]),
        contact_id=contact_id,
        company_id=company_id,
    )


def ticket_replies_read(ids: list[int]) -> list[CustomerText]:
    """Customer replies (TicketEvent kind customer_reply) by id, as engagement's CustomerText,
    for the apps above to read (kith.engagement.texts); system-side, no user filter."""
    rows = (
        TicketEvent.objects.filter(pk__in=ids, kind=TicketEvent.Kind.CUSTOMER_REPLY)
        .select_related("ticket")
        .only("id", "new_value", "at", "ticket__contact_id", "ticket__owner_id", "ticket__team_id")
    )
    return [
        CustomerText(
            model="service.ticketevent",
            id=e.pk,
            text=e.new_value,
            at=e.at,
            contact_id=e.ticket.contact_id,
            owner_id=e.ticket.owner_id,
            team_id=e.ticket.team_id,
        )
        for e in rows
    ]


def palette_search(*, user: User, query: str, limit: int) -> list[SearchHit]:
    """Tickets by number ("#250" or "250") or subject, newest first, as far as `user` may
    read them: one query."""
    number = query.lstrip("#")
    match = Q(subject__icontains=query)
    if number.isdigit() and len(number) < 12:
        match |= Q(pk=int(number))
    rows = (
        visible_to(Ticket.objects.all(), user=user, module="tickets")
        .filter(match)
        .order_by("-id")
        .values_list("id", "subject", "contact__full_name")[:limit]
    )
    return [
        SearchHit("ticket", gettext_lazy("Tickets"), f"[#{pk}] {subject}", contact or "",
                  "ticket-detail", (pk,))
        for pk, subject, contact in rows
    ]  # fmt: skip
