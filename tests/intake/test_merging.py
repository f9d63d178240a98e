"""Merging duplicates into a survivor, generically, and undoing it exactly."""

from __future__ import annotations

import pytest

from kith.core.errors import FieldError, NotFound
from kith.customers.models import Company, Contact, ContactPoint, Relationship
from kith.customers.services import consent_record, relationship_create
from kith.intake.merging import companies_merge, contacts_merge, merge_defaults, merge_undo
from tests.factories import make_company, make_contact
from tests.intake.factories import database_snapshot


@pytest.fixture
def pair(users):
    acme = make_company(by=users.rep_a, name="Acme")
    old = make_contact(
        by=users.rep_a,
        first_name="Ann",
        last_name="Lee",
        emails=["ann@x.com", "ann.lee@home.net"],
        phones=["+44 20 7946 0001"],
        tags=["vip", "london"],
        addresses=[{"line1": "1 High St", "city": "London", "country": "GB"}],
    )
    new = make_contact(
        by=users.rep_a,
        first_name="Ann",
        last_name="Lee-Smith",
        title="CTO",
        company_id=acme.pk,
        emails=["ann@x.com"],
        phones=["+44 20 7946 0002"],
        tags=["vip"],
    )
    third = make_contact(by=users.rep_a, first_name="Bob", last_name="Ray")
    relationship_create(by=users.rep_a, from_contact_id=old.pk, to_contact_id=third.pk,
                        kind="colleague")  # fmt: skip
    relationship_create(by=users.rep_a, from_contact_id=old.pk, to_contact_id=new.pk,
                        kind="family")  # fmt: skip
    consent_record(by=users.rep_a, contact_id=old.pk, channel="email", purpose="newsletter",
                   status="granted")  # fmt: skip
    return old, new, third


def test_merge_moves_everything_to_the_survivor(users, pair):
    old, new, third = pair

    contacts_merge(by=users.rep_a, survivor_id=new.pk, merged_ids=[old.pk])

    assert not Contact.objects.filter(pk=old.pk).exists()
    survivor = Contact.objects.get(pk=new.pk)
    points = set(survivor.points.values_list("kind", "value", "is_primary"))
    assert points == {
        ("email", "ann@x.com", True),
        ("email", "ann.lee@home.net", False),
        ("phone", "+442079460002", True),
        ("phone", "+442079460001", False),
    }
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["london", "vip"]
    assert survivor.addresses.get().city == "London"
    assert survivor.consents.count() == 1
    # The link to Bob moved; the one between the two merged records could not and is gone.
    assert list(Relationship.objects.values_list("from_contact_id", "to_contact_id")) == [
        (new.pk, third.pk)
    ]
    # Defaults: the most recently updated record's non-empty values.
    assert (survivor.title, survivor.last_name, survivor.company.name) == (
        "CTO",
        "Lee-Smith",
        "Acme",
    )
    assert survivor.primary_email == "ann@x.com"
    assert "ann.lee@home.net" in survivor.search_text
    assert survivor.version == new.version + 1


def test_reviewer_picks_values(users, pair):
    old, new, _third = pair
    contacts_merge(
        by=users.rep_a, survivor_id=new.pk, merged_ids=[old.pk], values={"last_name": "Lee"}
    )
    survivor = Contact.objects.get(pk=new.pk)
    assert survivor.last_name == "Lee"
    assert survivor.sort_name.startswith("lee ")
    with pytest.raises(FieldError):
        contacts_merge(by=users.rep_a, survivor_id=new.pk, merged_ids=[third_id(pair)],
                       values={"owner_id": users.rep_b.pk})  # fmt: skip


def third_id(pair):
    return pair[2].pk


def test_merge_undo_restores_exactly_the_prior_state(users, pair):
    old, new, _third = pair
    before = database_snapshot()

    merge = contacts_merge(by=users.rep_a, survivor_id=new.pk, merged_ids=[old.pk])
    assert database_snapshot() != before
    merge_undo(by=users.rep_a, merge_id=merge.pk)

    assert database_snapshot() == before
    with pytest.raises(FieldError):
        merge_undo(by=users.rep_a, merge_id=merge.pk)


def test_company_merge_moves_contacts_and_undo(users):
    a = make_company(by=users.rep_a, name="Acme Ltd", domain="acme.com")
    b = make_company(by=users.rep_a, name="ACME", domain="")
    person = make_contact(by=users.rep_a, first_name="Cy", company_id=b.pk)
    before = database_snapshot()

    merge = companies_merge(by=users.rep_a, survivor_id=a.pk, merged_ids=[b.pk])

    person.refresh_from_db()
    assert person.company_id == a.pk
    assert Company.objects.get(pk=a.pk).domain == "acme.com"
    merge_undo(by=users.rep_a, merge_id=merge.pk)
    assert database_snapshot() == before


def test_merge_of_three_and_undo(users):
    people = [
        make_contact(
            by=users.rep_a,
            first_name="Li",
            last_name="Na",
            emails=[f"li{i}@x.cn"],
            phones=["+86 138 0013 8000"],
        )
        for i in range(3)
    ]
    before = database_snapshot()
    merge = contacts_merge(
        by=users.rep_a, survivor_id=people[0].pk, merged_ids=[p.pk for p in people[1:]]
    )
    assert ContactPoint.objects.filter(contact_id=people[0].pk).count() == 4
    merge_undo(by=users.rep_a, merge_id=merge.pk)
    assert database_snapshot() == before


def test_merge_needs_every_record_visible(users, pair):
    old, new, _third = pair
    with pytest.raises(NotFound):
        contacts_merge(by=users.rep_b, survivor_id=new.pk, merged_ids=[old.pk])
    other = make_contact(by=users.rep_b, first_name="Ann", last_name="Lee")
    with pytest.raises(NotFound):
        contacts_merge(by=users.rep_a, survivor_id=new.pk, merged_ids=[other.pk])
    assert Contact.objects.filter(pk__in=[old.pk, new.pk, other.pk]).count() == 3


def test_merge_defaults_prefer_recent_non_empty_values(users):
    a = make_contact(by=users.rep_a, first_name="A", title="Engineer")
    b = make_contact(by=users.rep_a, first_name="B", title="")
    chosen = merge_defaults([a, b], "customers.contact")
    assert chosen["first_name"] == "B"
    assert chosen["title"] == "Engineer"


def test_merge_moves_activity_sales_and_service_records_and_undo_restores_them(users, pair):
    from kith.engagement.models import Comment, Interaction, Task
    from kith.engagement.services import comment_create, interaction_create, task_create
    from kith.sales.models import Deal, Order, PurchaseSummary
    from kith.sales.services import LineInput, order_create
    from kith.service.models import Ticket
    from kith.service.services import ticket_create
    from tests.sales.factories import make_deal, make_pipeline, make_product

    old, new, _third = pair
    tea = make_product(by=users.admin, sku="TEA", price_minor=1000)
    call = interaction_create(by=users.rep_a, kind="call", contact=old.pk, subject="Intro")
    task = task_create(by=users.rep_a, title="Call back", contact=old.pk)
    comment = comment_create(
        by=users.rep_a, record_model="customers.contact", record_id=old.pk, body="Met at fair"
    )
    deal = make_deal(by=users.rep_a, funnel=make_pipeline(by=users.admin), contact_ids=[old.pk])
    old_order = order_create(by=users.rep_a, contact_id=old.pk, lines=[LineInput(tea.pk, 2)])
    order_create(by=users.rep_a, contact_id=new.pk, lines=[LineInput(tea.pk, 1)])
    ticket = ticket_create(by=users.rep_a, subject="Broken cup", contact_id=old.pk)
    before = database_snapshot()

    merge = contacts_merge(by=users.rep_a, survivor_id=new.pk, merged_ids=[old.pk])

    assert Interaction.objects.get(pk=call.pk).contact_id == new.pk
    assert Task.objects.get(pk=task.pk).contact_id == new.pk
    assert Comment.objects.get(pk=comment.pk).record_id == new.pk
    assert list(Deal.objects.get(pk=deal.pk).contacts.values_list("pk", flat=True)) == [new.pk]
    assert Order.objects.get(pk=old_order.pk).contact_id == new.pk
    assert Ticket.objects.get(pk=ticket.pk).contact_id == new.pk
    summary = PurchaseSummary.objects.get(contact_id=new.pk)
    assert (summary.order_count, summary.total_minor) == (2, 3000)
    assert not PurchaseSummary.objects.filter(contact_id=old.pk).exists()

    merge_undo(by=users.rep_a, merge_id=merge.pk)
    assert database_snapshot() == before
