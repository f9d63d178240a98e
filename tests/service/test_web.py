"""Service pages: list/detail/form, access, panels, public form and CSAT page, query counts."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kith.service import services
from kith.service.models import Ticket
from tests.conftest import PASSWORD
from tests.factories import make_company, make_contact
from tests.service.factories import make_ticket


def login(client: Client, user) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_create_reply_resolve_from_pages(client, users, desk):
    login(client, users.rep_a)
    contact = make_contact(by=users.rep_a)
    form = client.get(f"/tickets/new/?contact={contact.pk}")
    assert form.status_code == 200
    response = client.post(
        "/tickets/new/",
        {"subject": "Broken", "description": "x", "contact_id": contact.pk, "priority": "high",
         "channel": "phone", "owner_id": users.rep_a.pk, "category": ""},
    )  # fmt: skip
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    client.post(f"/tickets/{ticket.pk}/reply/", {"text": "Looking"})
    client.post(f"/tickets/{ticket.pk}/status/", {"status": "resolved"})
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-status>Resolved<" in page
    assert "Looking" in page and 'data-event="breach"' not in page
    missing = client.post(
        "/tickets/new/",
        {"subject": "", "priority": "high", "channel": "phone", "owner_id": users.rep_a.pk},
    )
    assert "This field is required." in missing.content.decode()


def test_rep_b_cannot_see_team_a_tickets(client, users, desk):
    contact = make_contact(by=users.rep_a)
    company = make_company(by=users.rep_a)
    ticket = make_ticket(by=users.rep_a, subject="Secret A", contact_id=contact.pk)
    login(client, users.rep_b)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 404
    assert client.get(f"/tickets/{ticket.pk}/edit/").status_code == 404
    assert client.post(f"/tickets/{ticket.pk}/status/", {"status": "open"}).status_code == 404
    assert "Secret A" not in client.get("/tickets/").content.decode()
    assert client.get(f"/contacts/{contact.pk}/tickets/").status_code == 404
    assert client.get(f"/companies/{company.pk}/tickets/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_panels_and_metrics_page(client, users, desk):
    contact = make_contact(by=users.rep_a)
    ticket = make_ticket(by=users.rep_a, subject="Panel one", contact_id=contact.pk)
    services.ticket_csat_record(ticket_id=ticket.pk, score=4)
    login(client, users.rep_a)
    panel = client.get(f"/contacts/{contact.pk}/tickets/").content.decode()
    assert "Panel one" in panel and "1 open ticket" in panel and "CSAT 4.0 from 1 answers" in panel
    metrics = client.get("/tickets/metrics/?start=2026-11-01&end=2026-11-30")
    html = metrics.content.decode()
    assert metrics.status_code == 200
    assert "chart.umd.min.js" in html and 'id="service-chart-data"' in html
    assert "<td>2026-11</td>" in html and "Team A" in html
    assert client.get("/tickets/sla/").status_code == 200


def test_ticket_list_query_count_is_fixed(client, users, desk):
    for n in range(8):
        make_ticket(by=users.rep_a, subject=f"T{n}", contact_id=make_contact(by=users.rep_a).pk)
    login(client, users.rep_a)
    counts = []
    for size in (3, 8):
        with CaptureQueriesContext(connection) as ctx:
            from django.test import override_settings

            with override_settings(KITH_PAGE_SIZE=size):
                response = client.get("/tickets/")
        assert response.content.decode().count("data-row") == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_public_support_form(client, users, desk):
    bad = client.post(
        "/support/", {"full_name": "Lan", "email": "nope", "subject": "", "description": "x"}
    )
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "Enter a valid email address." in html and "This field is required." in html
    ok = client.post(
        "/support/",
        {"full_name": "Lan", "email": "lan@example.org", "subject": "Help", "description": "x"},
    )
    ticket = Ticket.objects.get()
    assert ok.status_code == 200 and ticket.reference in ok.content.decode()


def test_metrics_per_team_agent_and_month_with_filters(client, users, desk, smtp):
    import json
    import re
    from datetime import timedelta

    from kith.service import selectors
    from tests.service.factories import MONDAY_10

    # Team A: rep_a answers in 1 h and resolves in 3 h (CSAT 5); rep_a2's ticket breaches.
    asker = make_contact(by=users.rep_a, full_name="Asker", emails=["asker@example.org"])
    one = make_ticket(by=users.rep_a, subject="One", contact_id=asker.pk)
    services.ticket_reply(by=users.rep_a, ticket_id=one.pk, text="On it",
                          now=MONDAY_10 + timedelta(hours=1))  # fmt: skip
    services.ticket_transition(by=users.rep_a, ticket_id=one.pk, status="resolved",
                               now=MONDAY_10 + timedelta(hours=3))  # fmt: skip
    services.ticket_csat_record(ticket_id=one.pk, score=5)
    make_ticket(by=users.rep_a2, subject="Two")
    services.tickets_breach_check(now=MONDAY_10 + timedelta(days=3))
    # Team B, a month earlier: still open.
    make_ticket(by=users.rep_b, subject="Three", now=MONDAY_10 - timedelta(days=30))

    start, end = MONDAY_10 - timedelta(days=60), MONDAY_10 + timedelta(days=1)
    teams = selectors.service_metrics(user=users.admin, start=start, end=end, group="team")
    assert (teams.total.created, teams.total.resolved, teams.total.backlog) == (3, 1, 2)
    by_team = {r.label: r for r in teams.rows}
    team_a = by_team[users.rep_a.team.name]
    assert (team_a.created, team_a.first_response_hours, team_a.resolution_hours) == (2, 1.0, 3.0)
    assert (team_a.with_sla, team_a.sla_met, team_a.sla_attainment) == (2, 1, 50.0)
    assert (team_a.csat_answers, team_a.csat_average, team_a.backlog) == (1, 5.0, 1)
    assert by_team[users.rep_b.team.name].backlog == 1
    agents = selectors.service_metrics(user=users.admin, start=start, end=end, group="agent")
    assert {r.label: r.sla_attainment for r in agents.rows} == {
        "rep_a": 100.0, "rep_a2": 0.0, "rep_b": 100.0,
    }  # fmt: skip
    assert [(m.month, m.created) for m in agents.months] == [("2026-10", 1), ("2026-11", 2)]
    assert agents.months[1].sla_attainment == 50.0
    # The page: only team A, per agent, with both charts' data.
    login(client, users.admin)
    html = client.get(
        f"/tickets/metrics/?start=2026-09-01&end=2026-11-30&group=agent&team={users.rep_a.team_id}"
    ).content.decode()
    data = json.loads(re.search(r'id="service-chart-data"[^>]*>(.*?)</script>', html).group(1))
    assert (data["months"], data["created"], data["sla"]) == (["2026-11"], [2], [50.0])
    assert "rep_a2" in html and "<td>rep_b</td>" not in html
    assert 'id="service-sla-chart"' in html
    one_agent = client.get(
        f"/tickets/metrics/?start=2026-09-01&end=2026-11-30&agent={users.rep_a2.pk}"
    )
    data = json.loads(
        re.search(r'id="service-chart-data"[^>]*>(.*?)</script>', one_agent.content.decode()).group(
            1
        )
    )
    assert data["created"] == [1] and data["sla"] == [0.0]
    # A rep sees only their team's tickets in the figures.
    rep = selectors.service_metrics(user=users.rep_b, start=start, end=end)
    assert (rep.total.created, rep.total.backlog) == (1, 1)
