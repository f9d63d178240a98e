"""Outgoing webhooks against a loopback receiver the test starts: every event delivered at
least once and in order per record, signed, retried on a schedule, never to private addresses."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.db import transaction
from django.utils import timezone

from kith.automation.addresses import AddressRefused, url_resolve
from kith.automation.models import Delivery, Subscription
from kith.automation.services import deliveries as delivery_services
from kith.automation.services import (
    deliveries_send,
    delivery_redeliver,
    retry_delay,
    subscription_create,
    subscription_update,
)
from kith.automation.signatures import signature_make, signature_verify
from kith.core.errors import FieldError, Forbidden
from kith.core.events import event_record, events_dispatch
from kith.customers.models import Contact
from kith.customers.services import contact_update as _contact_update
from kith.engagement.models import Notification
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def contact_update(*, by, contact_id, version=None, **changes):
    version = Contact.objects.get(pk=contact_id).version
    return _contact_update(by=by, contact_id=contact_id, version=version, **changes)


def _subscribe(users, receiver, events=("*",)) -> tuple[Subscription, str]:
    return subscription_create(by=users.admin, name="ERP", url=receiver.url, events=list(events))


def test_every_event_is_delivered_signed_in_order_per_record(users, receiver) -> None:
    subscription, secret = _subscribe(users, receiver)
    first = make_contact(by=users.rep_a, full_name="Nguyễn Văn An")
    second = make_contact(by=users.rep_a, full_name="Lê Thị Bình")
    for title in ("Buyer", "Head buyer"):
        contact_update(by=users.rep_a, contact_id=first.pk, version=None, title=title)
    events_dispatch()
    assert deliveries_send() == 4

    bodies = [request.json() for request in receiver.requests]
    # In order per record; records go out over several connections at once, so the two
    # contacts' deliveries may interleave either way.
    per_record: dict[int, list[str]] = {}
    for body in bodies:
        per_record.setdefault(body["record"]["id"], []).append(body["type"])
    assert per_record == {
        first.pk: ["contact.created", "contact.updated", "contact.updated"],
        second.pk: ["contact.created"],
    }
    updated = [b for b in bodies if b["type"] == "contact.updated"]
    assert updated[0]["data"] == {"changed": ["title"]}
    created = next(b for b in bodies if b["type"] == "contact.created")
    assert created["version"] == 1 and created["record"]["model"] == "customers.contact"
    assert set(created) == {"id", "type", "version", "occurred_at", "record", "data"}
    for request in receiver.requests:
        assert signature_verify(
            secret=secret, header=request.headers["kith-signature"], body=request.body
        )
        assert request.headers["idempotency-key"] == f"{request.json()['id']}-{subscription.pk}"
    # Delivered ones are logged with the status code and the response time.
    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED)
    assert delivered.count() == 4
    assert {d.response_code for d in delivered} == {200}
    assert all(d.log.get().response_ms is not None for d in delivered)
    # A repeated dispatch or send delivers nothing twice.
    events_dispatch()
    assert deliveries_send() == 0
    assert len(receiver.requests) == 4


def test_subscription_filters_event_types(users, receiver, records) -> None:
    subscription_create(by=users.admin, name="Deals", url=receiver.url, events=["contact.updated"])
    contact_update(by=users.rep_a, contact_id=records.contact_a.pk, version=None, title="CEO")
    events_dispatch()
    deliveries_send()
    assert [r.json()["type"] for r in receiver.requests] == ["contact.updated"]


def test_order_per_record_holds_while_an_earlier_event_fails(users, receiver, records) -> None:
    events_dispatch()  # the fixtures' events go before the subscription exists
    _subscribe(users, receiver)
    contact = records.contact_a
    for title in ("A", "B"):
        contact_update(by=users.rep_a, contact_id=contact.pk, version=None, title=title)
    events_dispatch()
    receiver.statuses = [503]
    now = timezone.now()
    deliveries_send(now=now)
    # The first failed; the second waits behind it instead of overtaking it.
    assert len(receiver.requests) == 1
    later = now + dt.timedelta(minutes=5)
    deliveries_send(now=later)
    ids = [r.json()["id"] for r in receiver.requests]
    assert ids[0] == ids[1] and ids[2] > ids[1]


def test_tampered_or_replayed_body_is_detected() -> None:
    body = json.dumps({"id": 7, "type": "deal.won"}).encode()
    header = signature_make(secret="s3cret", body=body, timestamp=1_700_000_000)
    assert signature_verify(secret="s3cret", header=header, body=body, now=1_700_000_010)
    tampered = body.replace(b"7", b"8")
    assert not signature_verify(secret="s3cret", header=header, body=tampered, now=1_700_000_010)
    assert not signature_verify(secret="other", header=header, body=body, now=1_700_000_010)
    # The same body and signature replayed ten minutes later is refused.
    assert not signature_verify(secret="s3cret", header=header, body=body, now=1_700_000_600)
    assert not signature_verify(secret="s3cret", header="t=x,v1=00", body=body)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.5/hook",
        "http://10.255.1.1:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://192.168.1.10/",
        "http://172.16.0.1/",
    ],
)
def test_ssrf_guard_refuses_local_and_private_addresses(settings, url) -> None:
    settings.KITH_WEBHOOKS_ALLOW_PRIVATE = ""
    with pytest.raises(AddressRefused):
        url_resolve(url)


def test_ssrf_guard_on_subscribe_and_on_send(settings, users, receiver) -> None:
    settings.KITH_WEBHOOKS_ALLOW_PRIVATE = ""
    with pytest.raises(FieldError) as refused:
        subscription_create(by=users.admin, name="x", url="http://localhost/x", events=["*"])
    assert "private or local" in refused.value.errors["url"]
    settings.KITH_WEBHOOKS_ALLOW_PRIVATE = "127.0.0.1/32"
    _subscribe(users, receiver)
    make_contact(by=users.rep_a, full_name="Trần Minh")
    events_dispatch()
    settings.KITH_WEBHOOKS_ALLOW_PRIVATE = ""  # the admin took the permission back
    deliveries_send()
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and "private or local" in delivery.error


def test_only_admins_subscribe(users, receiver) -> None:
    with pytest.raises(Forbidden):
        subscription_create(by=users.manager, name="x", url=receiver.url, events=["*"])
    with pytest.raises(FieldError) as bad:
        subscription_create(by=users.admin, name="", url=receiver.url, events=["Bad Name"])
    assert set(bad.value.errors) == {"name", "events"}


def test_retries_follow_the_schedule_then_disable(users, receiver) -> None:
    subscription, _secret = _subscribe(users, receiver)
    receiver.default_status = 500
    make_contact(by=users.rep_a, full_name="Phạm Hùng")
    events_dispatch()
    delivery = Delivery.objects.get()
    start = delivery.created_at
    moment = start
    seen = []
    for _ in range(40):
        if deliveries_send(now=moment) == 0:
            break
        delivery.refresh_from_db()
        seen.append(moment)
        if delivery.status != Delivery.Status.PENDING:
            break
        moment = delivery.next_attempt_at
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    # 1, 2, 4 … minutes, capped at 6 hours, until the 24-hour window ends.
    assert gaps[:4] == [retry_delay(n) for n in range(1, 5)]
    assert gaps[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(gaps) == dt.timedelta(hours=6)
    assert seen[-1] == delivery.deadline_at
    assert abs(delivery.deadline_at - start - dt.timedelta(hours=24)) < dt.timedelta(seconds=1)
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == len(seen)
    assert delivery.response_code == 500 and delivery.log.count() == len(seen)
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_reason
    assert subscription.failure_count == len(seen)
    assert Notification.objects.filter(recipient=users.admin, kind="automation").count() == 1
    # Manual redelivery after the receiver is fixed.
    receiver.default_status = 200
    with pytest.raises(FieldError):
        delivery_redeliver(by=users.admin, delivery_id=delivery.pk)
    subscription_update(by=users.admin, subscription_id=subscription.pk, is_active=True)
    delivery_redeliver(by=users.admin, delivery_id=delivery.pk)
    assert deliveries_send() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and receiver.requests[-1].json()["id"]
    subscription.refresh_from_db()
    assert subscription.failure_count == 0


def test_worker_killed_after_the_post_loses_nothing(users, receiver, monkeypatch) -> None:
    _subscribe(users, receiver)
    make_contact(by=users.rep_a, full_name="Đỗ Lan")
    events_dispatch()

    def killed(*args, **kwargs):
        raise SystemExit("worker killed before recording the result")

    monkeypatch.setattr(delivery_services, "_result_record", killed)
    now = timezone.now()
    with pytest.raises(SystemExit):
        deliveries_send(now=now)
    assert len(receiver.requests) == 1
    monkeypatch.undo()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    # Another worker finds nothing due during the lease, then sends it again.
    assert deliveries_send(now=now + dt.timedelta(seconds=30)) == 0
    assert deliveries_send(now=now + delivery_services.LEASE) == 1
    first, again = receiver.requests
    assert first.body == again.body
    assert first.headers["idempotency-key"] == again.headers["idempotency-key"]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


def test_handler_repeated_makes_one_delivery(users, receiver, records) -> None:
    from kith.automation.handlers import event_react

    _subscribe(users, receiver)
    with transaction.atomic():
        event = event_record(name="deal.won", record=records.contact_a, actor=users.rep_a)
    event_react(event)
    event_react(event)
    assert Delivery.objects.filter(event_id=event.pk).count() == 1
