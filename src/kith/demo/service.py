"""Demo data of service: a business calendar with holidays, SLA policies by priority and tier,
tickets across every status and channel over the past months (some breached), ticket events
and CSAT answers with per-contact summaries. Rows are written in bulk; the SLA due times come
from the same business clock the services use."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Avg, Count, Max
from django.utils import timezone

from kith.core.bulk import rows_insert
from kith.customers.models import Contact
from kith.demo.context import DemoContext
from kith.service import clock, services
from kith.service.models import ContactCsat, Priority, SlaPolicy, Ticket, TicketEvent

TICKETS = {"tiny": 150, "small": 1500, "large": 20000}
SUBJECTS = (
    "Cannot log in", "Invoice total is wrong", "Order arrived damaged", "Refund request",
    "Password reset email not received", "App crashes on start", "Change delivery address",
    "Không nhận được hoá đơn", "Đơn hàng giao chậm", "无法登录账户", "发票金额错误", "退款申请",
)  # fmt: skip
CATEGORIES = ("billing", "delivery", "account", "technical", "returns")
HOURS = {str(d): [["08:30", "12:00"], ["13:00", "17:30"]] for d in range(5)}
HOLIDAYS = [
    (date(2026, 1, 1), "New Year"), (date(2026, 2, 16), "Tết"), (date(2026, 2, 17), "Tết"),
    (date(2026, 2, 18), "Tết"), (date(2026, 4, 30), "Reunification Day"),
    (date(2026, 5, 1), "Labour Day"), (date(2026, 9, 2), "National Day"),
    (date(2025, 9, 2), "National Day"), (date(2025, 12, 25), "Christmas"),
    (date(2026, 12, 25), "Christmas"),
]  # fmt: skip


def _ids_after(model: Any) -> int:
    return int(model.objects.aggregate(m=Max("pk"))["m"] or 0)


def demo_service_load(context: DemoContext) -> None:
    """Adds the service demo records; counts go to context.counts."""
    rng = context.rng("service")
    admin = context.users["admin"]
    calendar = services.calendar_create(
        by=admin, name="Support hours", timezone_name="Asia/Ho_Chi_Minh", hours=HOURS,
        holidays=HOLIDAYS,
    )  # fmt: skip
    policies = [
        services.sla_policy_create(
            by=admin, name="Urgent", calendar_id=calendar.pk, priority=Priority.URGENT,
            first_response_minutes=60, resolution_minutes=8 * 60, position=1,
        ),
        services.sla_policy_create(
            by=admin, name="Platinum and gold customers", calendar_id=calendar.pk,
            tier_field="tier", tier_value="platinum",
            first_response_minutes=120, resolution_minutes=16 * 60, position=2,
        ),
        services.sla_policy_create(
            by=admin, name="Gold customers", calendar_id=calendar.pk, tier_field="tier",
            tier_value="gold", first_response_minutes=120, resolution_minutes=16 * 60, position=3,
        ),
        services.sla_policy_create(
            by=admin, name="Standard", calendar_id=calendar.pk,
            first_response_minutes=8 * 60, resolution_minutes=40 * 60, position=4,
        ),
    ]  # fmt: skip
    cal = services.calendar_clock(calendar)
    total = TICKETS.get(context.size, TICKETS["tiny"])
    contacts = list(
        Contact.objects.order_by("?").values_list(
            "pk", "owner_id", "team_id", "company_id", "custom"
        )[:total]
    )
    if not contacts:
        return
    now = timezone.now()
    next_id = _ids_after(Ticket) + 1
    tickets: list[tuple] = []
    events: list[tuple] = []
    csat: dict[int, list[tuple[int, Any, int]]] = {}
    for n in range(total):
        contact_id, owner_id, team_id, company_id, custom = contacts[n % len(contacts)]
        created = now - timedelta(days=rng.uniform(0, 180) ** 1.0, minutes=rng.randint(0, 600))
        priority = rng.choices(Priority.values, (20, 55, 18, 7))[0]
        policy = _policy(policies, priority, custom or {})
        fr_due = clock.business_add(cal, created, timedelta(minutes=policy.first_response_minutes))
        res_due = clock.business_add(cal, created, timedelta(minutes=policy.resolution_minutes))
        age = now - created
        status = (
            rng.choices(["new", "open", "pending"], (3, 5, 2))[0]
            if age < timedelta(days=5)
            else rng.choices(["resolved", "closed", "open", "pending"], (30, 62, 5, 3))[0]
        )
        # About one ticket in six misses its target: those answers come after the due time.
        late = rng.random() < 0.17
        responded = None
        if status != "new":
            responded = (
                (fr_due + timedelta(hours=rng.uniform(0.5, 10)))
                if late
                else (created + (fr_due - created) * rng.uniform(0.05, 0.9))
            )
            responded = min(responded, now)
        resolved = closed = None
        if status in ("resolved", "closed"):
            resolved = (
                (res_due + timedelta(hours=rng.uniform(1, 30)))
                if late
                else (created + (res_due - created) * rng.uniform(0.2, 0.95))
            )
            resolved = max(min(resolved, now), responded or created)
            closed = resolved + timedelta(days=3) if status == "closed" else None
        fr_breach = (
            fr_due
            if (responded is None and fr_due < now) or (responded and responded > fr_due)
            else None
        )
        res_breach = (
            res_due
            if (resolved is None and status != "pending" and res_due < now)
            or (resolved and resolved > res_due)
            else None
        )
        score = comment = csat_at = None
        if resolved is not None and rng.random() < 0.45:
            score = rng.choices(
                [1, 2, 3, 4, 5], (4, 6, 12, 38, 40) if not late else (20, 25, 25, 20, 10)
            )[0]
            comment = rng.choice(["", "", "Fast and friendly", "Took too long", "Cảm ơn!", "谢谢"])
            csat_at = resolved + timedelta(hours=rng.uniform(1, 48))
            csat.setdefault(contact_id, []).append((score, csat_at, next_id + n))
        channel = rng.choices(Ticket.Channel.values, (15, 20, 35, 15, 10, 5))[0]
        tickets.append((
            next_id + n, rng.choice(SUBJECTS), "", contact_id, company_id, channel, priority,
            rng.choice(CATEGORIES), status, policy.pk, fr_due, responded, fr_breach, res_due,
            resolved, res_breach, now if status == "pending" else None, closed, score,
            comment or "", csat_at, owner_id, team_id, created,
        ))  # fmt: skip
        tid = next_id + n
        events.append((tid, "created", "", "", "new", None, created))
        if responded is not None:
            events.append((tid, "reply", "", "", "", owner_id, responded))
            events.append((tid, "status", "status", "new", "open", owner_id, responded))
        if fr_breach is not None:
            events.append((tid, "breach", "first_response", "", "", None, fr_due))
        if res_breach is not None:
            events.append((tid, "breach", "resolution", "", "", None, res_due))
        if resolved is not None:
            events.append((tid, "status", "status", "open", "resolved", owner_id, resolved))
        if closed is not None:
            events.append((tid, "status", "status", "resolved", "closed", owner_id, closed))
        if score is not None:
            events.append((tid, "csat", "csat", "", str(score), None, csat_at))
        if n % 500 == 0:
            context.report("tickets", n, total)
    rows_insert(
        Ticket,
        ("id", "subject", "description", "contact_id", "company_id", "channel", "priority",
         "category", "status", "sla_policy_id", "first_response_due", "first_responded_at",
         "first_response_breached_at", "resolution_due", "resolved_at", "resolution_breached_at",
         "paused_at", "closed_at", "csat_score", "csat_comment", "csat_at", "owner_id", "team_id",
         "created_at"),
        tickets,
    )  # fmt: skip
    rows_insert(
        TicketEvent,
        ("ticket_id", "kind", "field", "old_value", "new_value", "actor_id", "at"),
        events,
    )
    ContactCsat.objects.bulk_create(
        [
            ContactCsat(
                contact_id=contact_id,
                answers=len(answers),
                score_total=sum(a[0] for a in answers),
                latest_score=max(answers, key=lambda a: a[1])[0],
                latest_at=max(a[1] for a in answers),
                latest_ticket_id=max(answers, key=lambda a: a[1])[2],
            )
            for contact_id, answers in csat.items()
        ],
        batch_size=1000,
    )
    _sequence_reset()
    _ticket_activity(tickets)
    context.counts["tickets"] = len(tickets)
    context.counts["ticket_events"] = len(events)
    context.counts["csat_answers"] = sum(len(a) for a in csat.values())
    context.report("tickets", total, total)


def _ticket_activity(tickets: list[tuple]) -> None:
    """Calls logged on every tenth ticket and an agent's comment on every twenty-fifth, as the
    ticket page's activity panel shows them."""
    from kith.engagement.models import Comment, Interaction

    calls, comments = [], []
    for n, row in enumerate(tickets):
        tid, subject, contact_id, company_id = row[0], row[1], row[3], row[4]
        owner_id, team_id, created = row[21], row[22], row[23]
        if n % 10 == 0:
            call = Interaction(
                owner_id=owner_id, team_id=team_id, kind="call", direction="out",
                channel="phone", occurred_at=created + timedelta(hours=1),
                duration_seconds=240, outcome="connected", subject=subject[:300],
                body="Called the customer about the ticket.", contact_id=contact_id,
                company_id=company_id, record_model="service.ticket", record_id=tid,
            )  # fmt: skip
            calls.append(call)
        if n % 25 == 0:
            comment = Comment(
                record_model="service.ticket", record_id=tid, author_id=owner_id,
                body="Waiting for the customer's photos before we replace the part.",
            )  # fmt: skip
            comments.append(comment)
    Interaction.objects.bulk_create(calls, batch_size=1000)
    Comment.objects.bulk_create(comments, batch_size=1000)


def _policy(policies: list[SlaPolicy], priority: str, custom: dict) -> SlaPolicy:
    for policy in policies:
        if policy.priority and policy.priority != priority:
            continue
        if policy.tier_field and str(custom.get(policy.tier_field, "")) != policy.tier_value:
            continue
        return policy
    return policies[-1]


def _sequence_reset() -> None:
    """PostgreSQL's id sequences do not move when ids are given; set them past the rows."""
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket, TicketEvent]):
            cursor.execute(sql)


def demo_service_summary() -> dict[str, Any]:
    """Figures a test or the CLI can print after loading."""
    return Ticket.objects.aggregate(n=Count("pk"), csat=Avg("csat_score"))
