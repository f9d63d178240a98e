"""The lifecycle stage follows the facts (#17): a lead with a paid order becomes a customer, on
the order events (one by one and bulk imports) and once for the existing contacts (the data
migration); each change is in the contact's history."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

from django.apps import apps

from kith.core.audit import history_for
from kith.core.events import events_dispatch
from kith.customers.models import Contact
from kith.sales import services
from kith.sales.services import LineInput, OrderImport
from kith.sales.services.lifecycle import contacts_stage_from_orders
from tests.factories import make_contact
from tests.sales.factories import make_product


def _stage(contact: Contact) -> str:
    contact.refresh_from_db()
    return contact.lifecycle_stage


def test_a_paid_order_makes_a_customer_through_the_events(users) -> None:
    lan = make_contact(by=users.rep_a, full_name="Lan", lifecycle_stage="lead")
    tea = make_product(by=users.admin, sku="TEA")
    order = services.order_create(
        by=users.rep_a, contact_id=lan.pk, lines=[LineInput(tea.pk, 1)], status="placed"
    )
    events_dispatch()
    assert _stage(lan) == "lead"  # placed, not paid yet
    services.order_status_set(
        by=users.rep_a, order_id=order.pk, status="paid", version=order.version
    )
    events_dispatch()
    assert _stage(lan) == "customer"
    (change,) = [
        c for c in history_for(model="customers.contact", object_id=lan.pk, limit=20)
        if c.field == "lifecycle_stage"
    ]  # fmt: skip
    assert (change.old_value, change.new_value, change.actor_id) == ("lead", "customer", None)
    assert contacts_stage_from_orders(contact_ids=[lan.pk]) == 0  # idempotent

    # A bulk import (orders.imported) does the same for its contacts; churned stays churned.
    bao = make_contact(by=users.rep_a, full_name="Bảo", lifecycle_stage="subscriber")
    gone = make_contact(by=users.rep_a, full_name="Gone", lifecycle_stage="churned")
    when = datetime(2026, 6, 1, tzinfo=UTC)
    services.orders_import(
        by=users.admin,
        orders=[OrderImport(contact_id=c.pk, ordered_at=when, lines=[(tea.pk, 1, 500)])
                for c in (bao, gone)],
    )  # fmt: skip
    events_dispatch()
    assert (_stage(bao), _stage(gone)) == ("customer", "churned")


def test_the_one_off_migration_fixes_existing_contacts(users) -> None:
    tea = make_product(by=users.admin, sku="TEA")
    paid = make_contact(by=users.rep_a, full_name="Paid", lifecycle_stage="lead")
    refunded = make_contact(by=users.rep_a, full_name="Refunded", lifecycle_stage="lead")
    when = datetime(2026, 6, 1, tzinfo=UTC)
    services.orders_import(
        by=users.admin,
        orders=[OrderImport(contact_id=paid.pk, ordered_at=when, lines=[(tea.pk, 1, 500)]),
                OrderImport(contact_id=refunded.pk, ordered_at=when, lines=[(tea.pk, 1, 500)],
                            status="refunded")],
    )  # fmt: skip
    # (no events dispatched: as for the contacts that existed before this release)
    migration = importlib.import_module("kith.sales.migrations.0008_contacts_stage_from_orders")
    migration.stages_from_orders(apps, None)
    assert (_stage(paid), _stage(refunded)) == ("customer", "lead")
    assert any(
        c.field == "lifecycle_stage"
        for c in history_for(model="customers.contact", object_id=paid.pk, limit=20)
    )


def test_refunds_demote_churn_follows_the_kpi_definition_and_buying_again_returns(
    users,
) -> None:
    from datetime import date, timedelta

    from kith.sales.services.lifecycle import CHURN_DAYS, contacts_churn_mark

    tea = make_product(by=users.admin, sku="TEA")
    mai = make_contact(by=users.rep_a, full_name="Mai", lifecycle_stage="lead")
    order = services.order_create(
        by=users.rep_a, contact_id=mai.pk, lines=[LineInput(tea.pk, 1)], status="paid"
    )
    events_dispatch()
    assert _stage(mai) == "customer"
    order.refresh_from_db()
    services.order_refund(by=users.rep_a, order_id=order.pk, version=order.version,
                          reason="Broken")  # fmt: skip
    events_dispatch()
    assert _stage(mai) == "lead"  # every order refunded: not a customer any more
    stages = [
        (c.old_value, c.new_value)
        for c in history_for(model="customers.contact", object_id=mai.pk, limit=20)
        if c.field == "lifecycle_stage"
    ]
    assert ("customer", "lead") in stages

    # Churn: no paid order in the last CHURN_DAYS (a nightly pass); buying again returns.
    old = make_contact(by=users.rep_a, full_name="Old", lifecycle_stage="lead")
    manual = make_contact(by=users.rep_a, full_name="Manual", lifecycle_stage="customer")
    long_ago = datetime.now(UTC) - timedelta(days=CHURN_DAYS + 5)
    services.orders_import(
        by=users.admin,
        orders=[OrderImport(contact_id=old.pk, ordered_at=long_ago, lines=[(tea.pk, 1, 500)])],
    )
    events_dispatch()
    assert _stage(old) == "customer"
    assert contacts_churn_mark() == 1
    assert (_stage(old), _stage(manual)) == ("churned", "customer")  # no orders: left alone
    assert contacts_churn_mark() == 0
    services.order_create(
        by=users.rep_a, contact_id=old.pk, lines=[LineInput(tea.pk, 1)], status="paid"
    )
    events_dispatch()
    assert _stage(old) == "customer"
    assert contacts_stage_from_orders(today=date.today() + timedelta(days=CHURN_DAYS + 2)) == 0
