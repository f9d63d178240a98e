"""The domain-event outbox: event_record writes in the caller's transaction, or not at all."""

from __future__ import annotations

import pytest
from django.db import transaction

from kith.core.events import HANDLERS, event_handler_register, event_record
from kith.core.models import DomainEvent, Tag


@pytest.mark.django_db(transaction=True)
def test_event_record_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="outside a transaction"):
        event_record(name="tag.created")
    assert DomainEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_event_of_a_rolled_back_change_is_never_written() -> None:
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        tag = Tag.objects.create(name="vip")
        event_record(name="tag.created", record=tag)
        raise Rollback
    assert DomainEvent.objects.count() == 0

    with transaction.atomic():
        tag = Tag.objects.create(name="vip")
        event_record(name="tag.created", record=tag, payload={"changed": ["name"]})
    event = DomainEvent.objects.get()
    assert (event.name, event.model, event.object_id) == ("tag.created", "core.tag", tag.pk)
    assert event.payload == {"changed": ["name"]}
    assert event.actor_id is None
    assert event.dispatched_at is None


@pytest.mark.django_db
def test_event_record_stores_the_actor_and_checks_names(users) -> None:
    event = event_record(name="contacts.merged", actor=users.admin, payload={"kept": 1})
    assert (event.model, event.object_id, event.actor_id) == ("", None, users.admin.pk)
    with pytest.raises(ValueError, match="dotted"):
        event_record(name="Contact Created")
    with pytest.raises(ValueError, match="not saved"):
        event_record(name="tag.created", record=Tag(name="unsaved"))


def test_event_handler_register_replaces_by_name_and_wants_events() -> None:
    try:
        event_handler_register(name="test.first", events=["deal.won"], handler=print)
        handler = event_handler_register(name="test.first", events=["*"], handler=repr)
        assert HANDLERS["test.first"] is handler
        assert handler.wants("anything.at_all")
        with pytest.raises(ValueError, match="no events"):
            event_handler_register(name="test.none", events=[], handler=print)
    finally:
        HANDLERS.pop("test.first", None)


@pytest.mark.django_db
def test_dispatch_keeps_order_per_record_and_retries_a_failing_handler() -> None:
    import datetime as dt

    from kith.core.events import events_dispatch
    from kith.core.models import EventDelivery

    seen: list[tuple[str, int]] = []
    failing = {"on": True}

    def flaky(event: DomainEvent) -> None:
        if failing["on"] and event.name == "tag.created":
            raise ValueError("boom")
        seen.append(("flaky", event.id))

    def steady(event: DomainEvent) -> None:
        seen.append(("steady", event.id))

    event_handler_register(name="test.flaky", events=["*"], handler=flaky)
    event_handler_register(
        name="test.steady", events=["tag.created", "tag.renamed"], handler=steady
    )
    try:
        first, second = Tag.objects.create(name="a"), Tag.objects.create(name="b")
        e1 = event_record(name="tag.created", record=first)
        e2 = event_record(name="tag.renamed", record=first)
        e3 = event_record(name="tag.renamed", record=second)
        assert events_dispatch() == 3
        # flaky failed on e1, so it waits with e2 (same record) but goes on with e3.
        assert seen == [("steady", e1.id), ("steady", e2.id), ("flaky", e3.id), ("steady", e3.id)]
        failed = EventDelivery.objects.get(event=e1)
        assert (failed.attempts, failed.last_error) == (1, "ValueError: boom")
        assert EventDelivery.objects.filter(event=e2, attempts=0).exists()

        seen.clear()
        events_dispatch()  # not due yet: backoff
        assert seen == []
        failing["on"] = False
        EventDelivery.objects.update(next_attempt_at=failed.next_attempt_at - dt.timedelta(hours=1))
        events_dispatch()
        assert seen == [("flaky", e1.id), ("flaky", e2.id)]
        assert not EventDelivery.objects.exists()
    finally:
        HANDLERS.pop("test.flaky", None)
        HANDLERS.pop("test.steady", None)


@pytest.mark.django_db
def test_a_handler_is_given_up_after_max_attempts() -> None:
    import datetime as dt

    from kith.core.events import MAX_ATTEMPTS, events_dispatch
    from kith.core.models import EventDelivery

    def broken(event: DomainEvent) -> None:
        raise KeyError("x")

    event_handler_register(name="test.broken", events=["*"], handler=broken)
    try:
        event_record(name="tag.created")
        events_dispatch()
        for _ in range(MAX_ATTEMPTS):
            EventDelivery.objects.update(next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
            events_dispatch()
        delivery = EventDelivery.objects.get()
        assert delivery.status == EventDelivery.Status.FAILED
        assert delivery.last_error.startswith("KeyError")
    finally:
        HANDLERS.pop("test.broken", None)


@pytest.mark.django_db
def test_events_caused_at_a_depth_carry_it() -> None:
    from kith.core.events import CAUSE_DEPTH_KEY, events_caused_at, events_record_many

    with transaction.atomic():
        tag = Tag.objects.create(name="caused")
        plain = event_record(name="tag.created", record=tag, payload={"a": 1})
        with events_caused_at(depth=2):
            caused = event_record(name="tag.updated", record=tag, payload={"a": 1})
            events_record_many(name="tag.touched", model=Tag, object_ids=[tag.pk])
        after = event_record(name="tag.deleted", record=tag)
    assert plain.payload == {"a": 1} and after.payload == {}
    assert caused.payload == {"a": 1, CAUSE_DEPTH_KEY: 2}
    assert DomainEvent.objects.get(name="tag.touched").payload == {CAUSE_DEPTH_KEY: 2}
