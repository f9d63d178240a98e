"""The worker flags SLA breaches as they happen: the check is a schedule run every minute by
`kith worker`, and a run escalates each new breach to the team lead."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from kith.cli.app import app
from kith.core.schedules import SCHEDULES
from kith.engagement.models import Notification
from kith.identity.services import team_update
from kith.service.models import Ticket, TicketEvent
from tests.service.factories import make_ticket


def test_breach_check_runs_every_minute_in_the_worker(users, desk, transactional_db) -> None:
    assert SCHEDULES["service.tickets_breach_check"].every == timedelta(minutes=1)
    team_update(by=users.admin, team_id=users.rep_a.team_id, lead_id=users.manager.pk)
    ticket = make_ticket(by=users.rep_a)  # created a week ago: both targets are past

    result = CliRunner().invoke(app, ["worker", "--batch"])

    assert result.exit_code == 0, result.output
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.first_response_breached_at is not None
    assert ticket.resolution_breached_at is not None
    assert sorted(TicketEvent.objects.filter(kind="breach").values_list("field", flat=True)) == [
        "first_response", "resolution",
    ]  # fmt: skip
    notes = Notification.objects.filter(kind="sla_breach")
    assert {n.recipient_id for n in notes} == {users.manager.pk}
    assert notes.count() == 2
