"""A linked record outside the user's scope is shown without its name, in pages and the API
(found when attacked: 30 of 75 requests showed another team's company or contact)."""

from __future__ import annotations

import json

import pytest

from kith.engagement import services as engagement
from kith.service import services as service
from kith.service.models import Ticket
from tests.factories import make_contact
from tests.sales.factories import make_deal, make_pipeline

HIDDEN_COMPANY = "a company of another team"
HIDDEN_CONTACT = "a contact of another team"


@pytest.fixture
def crossed(users, records):
    """rep_a's contact, deal, ticket and task, each linked to team B's company or contact."""
    contact = make_contact(
        by=users.admin,
        full_name="Lê Minh",
        owner_id=users.rep_a.pk,
        company_id=records.company_b.pk,
    )
    funnel = make_pipeline(by=users.admin)
    deal = make_deal(
        by=users.admin, funnel=funnel, owner_id=users.rep_a.pk, company_id=records.company_b.pk
    )
    ticket = service.ticket_create(
        by=users.admin,
        subject="Broken",
        contact_id=records.contact_b.pk,
        company_id=records.company_b.pk,
        owner_id=users.rep_a.pk,
    )
    task = engagement.task_create(
        by=users.admin, title="Call back", assignee_id=users.rep_a.pk, contact=records.contact_b.pk
    )
    return contact, deal, ticket, task


def test_pages_do_not_name_another_teams_records(users, records, crossed, web_for):
    contact, deal, ticket, _task = crossed
    client = web_for(users.rep_a)
    secret_company, secret_contact = records.company_b.name, records.contact_b.full_name
    pages = {
        f"/contacts/{contact.pk}/": HIDDEN_COMPANY,
        "/contacts/": HIDDEN_COMPANY,
        f"/deals/{deal.pk}/": HIDDEN_COMPANY,
        "/deals/list/": HIDDEN_COMPANY,
        "/deals/": HIDDEN_COMPANY,
        f"/tickets/{ticket.pk}/": HIDDEN_CONTACT,
        "/tickets/": HIDDEN_CONTACT,
        "/tasks/?mine=1": HIDDEN_CONTACT,
    }
    for path, placeholder in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert secret_company not in body and secret_contact not in body, path
        assert placeholder in body, path
    # Their own team sees the names.
    mine = web_for(users.rep_b).get(f"/tickets/{ticket.pk}/")
    assert mine.status_code in {200, 404}
    admin = web_for(users.admin).get(f"/contacts/{contact.pk}/").content.decode()
    assert secret_company in admin


def test_the_api_does_not_name_another_teams_company(users, records, crossed, api_for):
    contact, deal, _ticket, _task = crossed
    client = api_for(users.rep_a)
    answers = [
        client.get(f"/api/v1/contacts/{contact.pk}").json()["company"],
        next(c for c in client.get("/api/v1/contacts").json()["items"] if c["id"] == contact.pk)[
            "company"
        ],
        client.get(f"/api/v1/deals/{deal.pk}").json()["company"],
        client.get("/api/v1/search", {"q": "Lê Minh"}).json()["contacts"][0]["company"],
    ]
    for ref in answers:
        assert ref == {"id": records.company_b.pk, "name": HIDDEN_COMPANY}
    assert records.company_b.name not in json.dumps(answers, ensure_ascii=False)
    admin = api_for(users.admin).get(f"/api/v1/contacts/{contact.pk}").json()["company"]
    assert admin["name"] == records.company_b.name
    assert Ticket.objects.count() == 1
