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
