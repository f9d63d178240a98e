"""Permissions on every timeline item: each registered source shows a user only what their
role lets them see, in the selector, the web panel and the API."""

from __future__ import annotations

from django.urls import reverse

from kith.engagement import selectors, services
from kith.engagement.timeline import TIMELINE_SOURCES
from kith.feedback import services as feedback
from kith.identity.access import MODULES
from kith.identity.models import Role, RoleGrant, Scope
from kith.identity.services import api_token_create, user_create
from kith.sales import services as sales
from kith.service import services as service
from tests.conftest import PASSWORD
from tests.engagement.factories import make_interaction
from tests.sales.factories import make_deal, make_pipeline, make_product


def _customer_desk_role() -> Role:
    """Sees every contact and company, but only its team's interactions, deals, tickets…"""
    role = Role.objects.create(slug="desk", name="Customer desk")
    RoleGrant.objects.bulk_create(
        RoleGrant(
            role=role, module=module,
            scope=Scope.ALL if module in {"contacts", "companies"} else Scope.TEAM,
            can_read=True, can_create=True, can_edit=True,
        )
        for module in MODULES
    )  # fmt: skip
    return role


def _items_of_each_kind(*, by, contact, funnel, product, label):
    """One item of every timeline kind on the contact, owned by `by`."""
    make_interaction(by=by, contact=contact, subject=f"{label} call")
    make_deal(by=by, funnel=funnel, name=f"{label} deal", contact_ids=[contact.pk])
    sales.order_create(
        by=by, contact_id=contact.pk, lines=[sales.LineInput(product_id=product.pk, quantity=1)]
    )
    ticket = service.ticket_create(by=by, subject=f"{label} ticket", contact_id=contact.pk)
    service.ticket_transition(by=by, ticket_id=ticket.pk, status="resolved")
    # The ticket's CSAT survey (feedback's), answered through its signed link.
    request, _made = feedback.survey_request_open(
        survey=feedback.csat_survey_ensure(owner_id=by.pk), contact=contact,
        source_model="service.ticket", source_id=ticket.pk, agent_id=by.pk, team_id=by.team_id,
    )  # fmt: skip
    feedback.survey_answer(token=feedback.request_token_make(request_id=request.pk), answers={1: 4})


def test_every_timeline_item_is_filtered_by_the_viewers_scope(users, teams, contact_a, client):
    _customer_desk_role()
    desk_b = user_create(username="desk_b", password=PASSWORD, team=teams.b, role_slug="desk")
    funnel = make_pipeline(by=users.admin)
    product = make_product(by=users.admin)
    _items_of_each_kind(by=users.rep_a, contact=contact_a, funnel=funnel, product=product,
                        label="A")  # fmt: skip
    _items_of_each_kind(by=desk_b, contact=contact_a, funnel=funnel, product=product, label="B")
    services.comment_create(
        by=users.rep_a, record_model="customers.contact", record_id=contact_a.pk, body="About Lan"
    )

    def counts(user) -> dict[str, int]:
        _contact, page = selectors.contact_timeline(user=user, contact_id=contact_a.pk, limit=100)
        found: dict[str, int] = {}
        for item in page.items:
            found[item.kind] = found.get(item.kind, 0) + 1
        return found

    assert {"interaction", "change", "comment", "order", "deal", "ticket", "survey"} <= set(
        TIMELINE_SOURCES
    )
    admin, rep_a, desk = counts(users.admin), counts(users.rep_a), counts(desk_b)
    for kind in ("interaction", "deal", "ticket", "survey"):  # one per team
        assert (admin[kind], rep_a[kind], desk[kind]) == (2, 1, 1), kind
    # Orders belong to the contact's owner and team (team A), whoever keyed them in.
    assert (admin["order"], rep_a["order"], desk.get("order", 0)) == (2, 2, 0)
    # History and comments belong to the contact itself: whoever sees the contact sees them.
    for seen in (admin, rep_a, desk):
        assert seen["comment"] == 1 and seen["change"] == admin["change"] > 0
    for user, own, other in ((users.rep_a, "A", "B"), (desk_b, "B", "A")):
        titles = [title for kind, title in _titles(user, contact_a) if kind != "change"]
        assert any(f"{own} " in t for t in titles)
        assert not any(t.startswith((f"{other} ", f"Call: {other} ")) or f" {other} " in t
                       for t in titles), titles  # fmt: skip
    # A user who cannot see the contact sees no timeline at all, on every door.
    web = client
    web.force_login(users.rep_b)
    assert web.get(reverse("contact-timeline", args=[contact_a.pk])).status_code == 404
    _token, secret = api_token_create(user=users.rep_b, name="t")
    api = client.__class__(headers={"Authorization": f"Bearer {secret}"})
    assert api.get(f"/api/v1/contacts/{contact_a.pk}/timeline").status_code == 404
    # The web panel shows the same items as the selector, for the desk user.
    web.force_login(desk_b)
    html = web.get(reverse("contact-timeline", args=[contact_a.pk]) + "?limit=100").content
    html = html.decode()
    assert "B call" in html and "A call" not in html
    assert "B ticket" in html and "A ticket" not in html


def _titles(user, contact) -> list[tuple[str, str]]:
    _contact, page = selectors.contact_timeline(user=user, contact_id=contact.pk, limit=100)
    return [(item.kind, item.title) for item in page.items]
