"""The worker's batching: deliveries sent over kept-open connections, and several workers at
once sending each delivery and running each rule run exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from kith.automation.models import Delivery, RuleRun
from kith.automation.services import (
    deliveries_send,
    rule_create,
    rule_runs_advance,
    subscription_create,
)
from kith.core.events import event_record, events_dispatch
from kith.customers.models import Contact
from kith.engagement.models import Notification
from tests.loopback import HttpReceiver


@pytest.fixture
def keep_alive_receiver(settings):
    settings.KITH_WEBHOOKS_ALLOW_PRIVATE = "127.0.0.1/32"
    server = HttpReceiver(keep_alive=True)
    yield server
    server.stop()


def _events(contacts: list[Contact], per_contact: int) -> None:
    with transaction.atomic():
        for n in range(per_contact):
            for contact in contacts:
                event_record(name="contact.updated", record=contact, payload={"n": n})


def _contacts(users, count: int) -> list[Contact]:
    return Contact.objects.bulk_create(
        [Contact(full_name=f"Khách {n}", owner=users.admin, team_id=users.admin.team_id, custom={})
         for n in range(count)]
    )  # fmt: skip


@pytest.mark.django_db
def test_deliveries_reuse_connections_and_keep_order(users, keep_alive_receiver) -> None:
    receiver = keep_alive_receiver
    subscription_create(by=users.admin, name="ERP", url=receiver.url, events=["contact.updated"])
    contacts = _contacts(users, 20)
    _events(contacts, per_contact=3)
    events_dispatch()
    while deliveries_send():
        pass
    assert Delivery.objects.filter(status="delivered").count() == 60
    assert len(receiver.requests) == 60
    assert len(receiver.connections) <= 8 * 3  # a few per sending thread, not one per POST
    for contact in contacts:  # in order per record
        seen = [r.json()["data"]["n"] for r in receiver.requests
                if r.json()["record"]["id"] == contact.pk]  # fmt: skip
        assert seen == [0, 1, 2]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_do_everything_once(users, keep_alive_receiver) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads sharing SQLite's in-memory test database lock its tables")
    receiver = keep_alive_receiver
    subscription_create(by=users.admin, name="ERP", url=receiver.url, events=["*"])
    rule_create(by=users.admin, name="Hello", trigger="contact.updated",
                actions=[{"type": "notify_user", "user": "rule_owner", "text": "{{ full_name }}"}])  # fmt: skip
    contacts = _contacts(users, 40)
    _events(contacts, per_contact=2)
    events_dispatch(limit=500)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            while rule_runs_advance(limit=20) | deliveries_send(limit=20):
                pass
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    while rule_runs_advance() | deliveries_send():  # the task.created … events of the runs
        events_dispatch()
    keys = [r.headers["idempotency-key"] for r in receiver.requests]
    assert len(keys) == len(set(keys)) == Delivery.objects.count()
    assert not Delivery.objects.exclude(status="delivered").exists()
    assert RuleRun.objects.filter(status="done").count() == 80
    assert Notification.objects.filter(kind="automation").count() == 80
