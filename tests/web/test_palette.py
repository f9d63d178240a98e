"""The command palette (#18): one search over every kind, grouped, each hit through the
permission gate, tickets by number, a fixed number of queries, and actions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kith.engagement import services as engagement
from kith.sales.services import LineInput, order_create
from tests.sales.factories import make_deal, make_pipeline, make_product
from tests.service.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users, records):
    funnel = make_pipeline(by=users.admin, name="Hoa Sen pipeline")
    make_deal(
        by=users.rep_a,
        funnel=funnel,
        name="Hoa Sen tea contract",
        contact_ids=[records.contact_a.pk],
    )
    make_deal(
        by=users.rep_b, funnel=funnel, name="Hoa Sen rival deal", contact_ids=[records.contact_b.pk]
    )
    tea = make_product(by=users.admin, sku="HOA-TEA", name="Hoa Sen lotus tea")
    order = order_create(
        by=users.rep_a, contact_id=records.contact_a.pk, lines=[LineInput(tea.pk, 1)]
    )
    ticket_a = make_ticket(
        by=users.rep_a,
        contact_id=records.contact_a.pk,
        subject="Hoa Sen invoice",
        now=timezone.now(),
    )
    ticket_b = make_ticket(
        by=users.rep_b,
        contact_id=records.contact_b.pk,
        subject="Hoa Sen refund",
        now=timezone.now(),
    )
    engagement.task_create(by=users.rep_a, title="Call Hoa Sen back", contact=records.contact_a)
    return {"order": order, "ticket_a": ticket_a, "ticket_b": ticket_b}


def _palette(client, query: str) -> str:
    response = client.get("/palette/", {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_one_search_over_every_kind_in_the_reps_scope(web_for, users, records, world):
    html = _palette(web_for(users.rep_a), "Hoa Sen")
    for group in ("Companies", "Deals", "Products", "Tickets", "Tasks"):
        assert f'<p class="search-group">{group}</p>' in html, group
    assert "Hoa Sen Trading" in html and "Hoa Sen tea contract" in html
    assert f"/tickets/{world['ticket_a'].pk}/" in html and "Call Hoa Sen back" in html
    # The other team's deal and ticket never reach rep_a's palette; users are for admins.
    assert "rival deal" not in html and "Hoa Sen refund" not in html
    assert '<p class="search-group">Users</p>' not in _palette(web_for(users.rep_a), "rep")
    assert '<p class="search-group">Users</p>' in _palette(web_for(users.admin), "rep")


def test_tickets_and_orders_by_number_and_the_actions(web_for, users, records, world):
    client = web_for(users.rep_a)
    ticket = world["ticket_a"]
    assert f"[#{ticket.pk}] Hoa Sen invoice" in _palette(client, f"#{ticket.pk}")
    assert f"[#{world['ticket_b'].pk}]" not in _palette(client, f"#{world['ticket_b'].pk}")
    assert f"/orders/{world['order'].pk}/" in _palette(client, f"#{world['order'].pk}")
    actions = _palette(client, "new con")
    assert "New contact" in actions and "New deal" not in actions
    assert "Go to pipeline Hoa Sen pipeline" in _palette(client, "pipeline hoa")
    found = _palette(client, "王伟明")
    assert (
        "Log a call on 王伟明" in found and f"/contacts/{records.contact_a.pk}/#log-call" in found
    )


def test_the_palette_costs_the_same_queries_for_one_hit_or_many(web_for, users, records, world):
    client = web_for(users.admin)
    with CaptureQueriesContext(connection) as few:
        _palette(client, "Hoa Sen")
    funnel = make_pipeline(by=users.admin, name="More")
    for n in range(6):
        engagement.task_create(
            by=users.rep_a, title=f"Hoa Sen follow-up {n}", contact=records.contact_a
        )
        make_deal(by=users.rep_a, funnel=funnel, name=f"Hoa Sen deal {n}")
    with CaptureQueriesContext(connection) as many:
        _palette(client, "Hoa Sen")
    # session, user, grants; contacts and companies (ids, rows); one per other kind; pipelines
    assert len(many.captured_queries) == len(few.captured_queries) <= 15
