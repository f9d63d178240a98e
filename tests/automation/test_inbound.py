"""Inbound webhooks: a secret URL per source turns a JSON body into a lead, an interaction or a
ticket through the saved mapping; bad bodies get a clear 4xx and are kept for a retry."""

from __future__ import annotations

import json

import pytest

from kith.automation.models import InboundBody
from kith.automation.services.inbound import (
    inbound_body_retry,
    inbound_receive,
    inbound_source_create,
    inbound_source_update,
)
from kith.core.errors import FieldError, Forbidden
from kith.core.models import DomainEvent
from kith.engagement.models import Interaction
from kith.sales.models import Lead
from kith.service.models import Ticket

pytestmark = pytest.mark.django_db


def _post(source, document) -> tuple[int, dict]:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    result = inbound_receive(token=source.token, raw=raw)
    return result.status, result.body


def test_a_body_becomes_a_lead_through_the_mapping(users) -> None:
    source = inbound_source_create(
        by=users.admin,
        name="Shop",
        target="lead",
        mapping={"full_name": "customer.name", "email": "customer.email", "message": "note"},
        owner_id=users.rep_a.pk,
    )
    status, body = _post(
        source, {"customer": {"name": "Võ Thị Sáu", "email": "SAU@example.vn"}, "note": "Hi"}
    )
    assert status == 201
    lead = Lead.objects.get()
    assert (lead.full_name, lead.email, lead.owner) == ("Võ Thị Sáu", "sau@example.vn", users.rep_a)
    assert body["record"] == {"model": "sales.lead", "id": lead.pk}
    assert DomainEvent.objects.filter(name="automation.inbound_received").count() == 1


def test_bad_bodies_get_a_clear_4xx_and_are_kept_for_retry(users) -> None:
    source = inbound_source_create(
        by=users.admin, name="Helpdesk", target="ticket", mapping={"subject": "title"}
    )
    assert _post(source, b"{not json")[0] == 400
    status, body = _post(source, {"heading": "Printer"})
    assert status == 422 and "title" in body["fields"]
    assert inbound_receive(token="wrong", raw=b"{}").status == 404
    assert inbound_receive(token=source.token, raw=b"x" * 300_000).status == 413
    refused = list(InboundBody.objects.filter(status="refused").order_by("id"))
    assert len(refused) == 2 and "JSON" in refused[0].error
    assert not Ticket.objects.exists()
    # The mapping is fixed, the kept body retried.
    inbound_source_update(by=users.admin, source_id=source.pk, mapping={"subject": "heading"})
    assert inbound_body_retry(by=users.admin, body_id=refused[1].pk).status == 201
    assert Ticket.objects.get().subject == "Printer"
    with pytest.raises(FieldError):
        inbound_body_retry(by=users.admin, body_id=refused[1].pk)


def test_interactions_respect_the_owners_scope(users, records) -> None:
    source = inbound_source_create(
        by=users.admin,
        name="Calls",
        target="interaction",
        mapping={"kind": "type", "contact_id": "contact", "subject": "summary"},
        owner_id=users.rep_a.pk,
    )
    status, _body = _post(
        source, {"type": "call", "contact": records.contact_a.pk, "summary": "Called"}
    )
    assert status == 201
    assert Interaction.objects.get().subject == "Called"
    # rep_a may not see team B's contact: refused, nothing written.
    status, _body = _post(source, {"type": "call", "contact": records.contact_b.pk})
    assert status == 422 and Interaction.objects.count() == 1


def test_only_admins_make_sources(users) -> None:
    with pytest.raises(Forbidden):
        inbound_source_create(by=users.rep_a, name="x", target="lead", mapping={"full_name": "n"})
    with pytest.raises(FieldError) as bad:
        inbound_source_create(by=users.admin, name="x", target="lead", mapping={"nope": "n"})
    assert "nope" in bad.value.errors["mapping"]


def test_old_bodies_are_pruned(users) -> None:
    import datetime as dt

    from django.utils import timezone

    from kith.automation.services.inbound import inbound_bodies_prune

    source = inbound_source_create(
        by=users.admin, name="Shop", target="lead", mapping={"full_name": "name"}
    )
    _post(source, {"name": "Old"})
    _post(source, {"name": "New"})
    old = InboundBody.objects.order_by("id").first()
    InboundBody.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=31))
    assert inbound_bodies_prune() == 1
    assert InboundBody.objects.count() == 1 and Lead.objects.count() == 2
