"""The domain-event outbox: services record what happened, the worker tells the handlers.

A lower app that must cause something in a higher one (an order earns loyalty points, a stage
change fires an automation rule) neither imports upward nor sends a signal: its service calls
`event_record` inside its transaction, so the event exists exactly when the change commits,
and a higher app registers a handler for it in its AppConfig.ready() with
`event_handler_register`. `kith worker` hands the events to the handlers (`events_dispatch`):
AT LEAST ONCE, in id order per record, so handlers must be idempotent.

Pending events are those with `dispatched_at` unset, not those past a "last id" cursor: on
PostgreSQL a sequence id is not in commit order, and an event that commits late is still found.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from kith.core.models import DomainEvent, EventDelivery

EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")

# The payload key holding how deep in a chain of automatic reactions an event was caused
# (an automation rule's action causing an event that fires a rule …); absent at depth 0.
CAUSE_DEPTH_KEY = "cause_depth"
_cause_depth: ContextVar[int] = ContextVar("kith_event_cause_depth", default=0)


@contextmanager
def events_caused_at(*, depth: int) -> Iterator[None]:
    """Events recorded inside this block carry `depth` in their payload (CAUSE_DEPTH_KEY), so a
    reaction to them (an automation rule) can tell it was caused by another reaction and stop a
    loop. Used by the automation app around a rule's actions."""
    token = _cause_depth.set(depth)
    try:
        yield
    finally:
        _cause_depth.reset(token)


def _with_cause(payload: dict[str, Any] | None) -> dict[str, Any]:
    depth = _cause_depth.get()
    body = dict(payload or {})
    if depth:
        body[CAUSE_DEPTH_KEY] = depth
    return body


def event_record_check(name: str) -> None:
    """Refuse an event outside a transaction (it must never outlive a rolled-back change, nor
    be written for a change that committed on its own) or with a malformed name."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            f"event_record({name!r}) outside a transaction: record it inside the service's "
            "transaction.atomic, so it commits (or rolls back) with the change"
        )
    if not EVENT_NAME.fullmatch(name) or len(name) > 64:
        raise ValueError(f"an event name is dotted lower-case words, e.g. 'deal.won': {name!r}")


def event_record(
    *,
    name: str,
    record: models.Model | None = None,
    actor: Any = None,
    payload: dict[str, Any] | None = None,
) -> DomainEvent:
    """Write a domain event in the caller's transaction (call it inside the service's atomic).

    `record` is the model instance the event is about (stored as its model label and pk),
    `actor` the user who caused it (None: the system). `payload` must be JSON-serialisable and
    hold ids, codes and changed field NAMES only, never personal data (emails, names, notes).
    Raises RuntimeError outside a transaction: an event must never outlive a rolled-back change,
    nor be written for a change that committed on its own.
    """
    event_record_check(name)
    model, object_id = "", None
    if record is not None:
        if record.pk is None:
            raise ValueError(f"event {name!r} names a record that is not saved")
        model, object_id = record._meta.label_lower, record.pk
    return DomainEvent.objects.create(
        name=name,
        model=model,
        object_id=object_id,
        actor_id=getattr(actor, "pk", None),
        payload=_with_cause(payload),
    )


def change_event_record(
    *,
    entity: str,
    record: models.Model,
    actor: Any,
    changes: Iterable[Any],
    payload: dict[str, Any] | None = None,
) -> DomainEvent | None:
    """Record `<entity>.created`, `<entity>.updated {changed: [field names]}` or
    `<entity>.deleted` from the history rows `kith.core.audit.changes_record` just wrote, so a
    service says once what changed and both the history and the event follow from it. An edit
    that changed nothing records no event. Call it before deleting the record (the event keeps
    its id)."""
    rows = list(changes)
    actions = {row.action for row in rows}
    extra = dict(payload or {})
    if "create" in actions:
        name = f"{entity}.created"
    elif "delete" in actions:
        name = f"{entity}.deleted"
    elif rows:
        name = f"{entity}.updated"
        extra["changed"] = sorted({row.field for row in rows if row.field})
    else:
        return None
    return event_record(name=name, record=record, actor=actor, payload=extra)


def events_record_many(
    *,
    name: str,
    model: type[models.Model],
    object_ids: Iterable[int],
    actor: Any = None,
    payload: dict[str, Any] | None = None,
    batch: int = 2000,
) -> int:
    """The same event for many records of one model (a bulk tag or assignment), written in
    batches in the caller's transaction; returns how many were written."""
    event_record_check(name)
    label, actor_id, body = (
        model._meta.label_lower,
        getattr(actor, "pk", None),
        _with_cause(payload),
    )
    rows = [
        DomainEvent(name=name, model=label, object_id=pk, actor_id=actor_id, payload=body)
        for pk in object_ids
    ]
    DomainEvent.objects.bulk_create(rows, batch_size=batch)
    return len(rows)


def events_record_each(
    *,
    name: str,
    model: type[models.Model],
    items: Iterable[tuple[int, dict[str, Any]]],
    actor: Any = None,
    batch: int = 2000,
) -> int:
    """One event per (record id, payload) of one model, as event_record would write each, in
    batches in the caller's transaction (a nightly run's many tier changes); returns how many."""
    event_record_check(name)
    label, actor_id = model._meta.label_lower, getattr(actor, "pk", None)
    rows = [
        DomainEvent(
            name=name, model=label, object_id=pk, actor_id=actor_id, payload=_with_cause(payload)
        )
        for pk, payload in items
    ]
    DomainEvent.objects.bulk_create(rows, batch_size=batch)
    return len(rows)


@dataclass(frozen=True)
class EventHandler:
    name: str
    events: frozenset[str]  # event names; "*" = every event
    handler: Callable[[DomainEvent], None]

    def wants(self, event_name: str) -> bool:
        return "*" in self.events or event_name in self.events


HANDLERS: dict[str, EventHandler] = {}


def event_handler_register(
    *, name: str, events: Iterable[str], handler: Callable[[DomainEvent], None]
) -> EventHandler:
    """Register `handler` for the named events ("*" = every event); call it in AppConfig.ready().

    The contract handlers are written against (`events_dispatch`):
    delivery is AT LEAST ONCE, in id order per record: the worker runs the handler inside its
    own transaction, so the handler's database writes commit together with the record of its
    progress, but a crash before that commit (or a retry after the handler raised) calls it
    again for the same event. A handler must therefore be IDEMPOTENT (e.g. key what it writes
    on `event.id`), quick, and enqueue slow or outside work (mail, HTTP) as a task. A handler
    that raises is retried later with backoff; until then it gets no later event of the same
    record; other handlers and records go on. `name` ("loyalty.points_for_order") is its key in
    the stored progress; registering the same name again replaces the handler.
    """
    wanted = frozenset(events)
    if not wanted:
        raise ValueError(f"handler {name!r} wants no events")
    if len(name) > 100 or not name:
        raise ValueError("a handler name is 1 to 100 characters")
    registered = EventHandler(name=name, events=wanted, handler=handler)
    HANDLERS[name] = registered
    return registered


MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=10)
PRUNE_AFTER = dt.timedelta(days=30)


def _record_key(event: DomainEvent) -> str:
    return f"{event.model}:{event.object_id}" if event.model else f"#{event.id}"


def _run(registered: EventHandler, event: DomainEvent) -> str:
    """Call the handler in a savepoint; returns "" or the error (exception class and message)."""
    try:
        with transaction.atomic():
            registered.handler(event)
    except Exception as error:  # a handler's failure is recorded, never propagated
        return f"{type(error).__name__}: {error}"[:300]
    return ""


def _blocked(handler: str, record_key: str, event_id: int) -> bool:
    return EventDelivery.objects.filter(
        handler=handler,
        record_key=record_key,
        status=EventDelivery.Status.PENDING,
        event_id__lt=event_id,
    ).exists()


def _backoff(attempts: int) -> dt.timedelta:
    return BACKOFF_BASE * (2 ** min(attempts - 1, 10))


def _deliver_new(event: DomainEvent, now: dt.datetime) -> None:
    key = _record_key(event)
    for registered in list(HANDLERS.values()):
        if not registered.wants(event.name):
            continue
        if _blocked(registered.name, key, event.id):
            # Waits behind an earlier failing event of the same record (order per record).
            EventDelivery.objects.create(
                event=event, handler=registered.name, record_key=key, next_attempt_at=now
            )
            continue
        error = _run(registered, event)
        if error:
            EventDelivery.objects.create(
                event=event,
                handler=registered.name,
                record_key=key,
                attempts=1,
                last_error=error,
                next_attempt_at=now + _backoff(1),
            )


def _retry(delivery: EventDelivery, now: dt.datetime) -> None:
    registered = HANDLERS.get(delivery.handler)
    if registered is None or _blocked(delivery.handler, delivery.record_key, delivery.event_id):
        return
    error = _run(registered, delivery.event)
    if not error:
        delivery.delete()
        return
    delivery.attempts += 1
    delivery.last_error = error
    delivery.next_attempt_at = now + _backoff(delivery.attempts)
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = EventDelivery.Status.FAILED
        delivery.failed_at = now
    delivery.save()


def events_dispatch(*, limit: int = 200) -> int:
    """Hand up to `limit` pending events to their handlers, in id order; returns how many.

    Each event is dispatched in its own transaction: the handlers' writes, the deliveries left
    outstanding and the event's `dispatched_at` commit together, so a worker killed mid-batch
    redelivers that event (AT LEAST ONCE: handlers must be idempotent). A handler that raises
    is retried on later runs with a growing backoff, and after MAX_ATTEMPTS failures the
    delivery is kept as failed (exception class and message only); meanwhile that handler
    gets no later event of the same record, while other handlers and records go on.
    """
    done = 0
    now = timezone.now()
    due = EventDelivery.objects.filter(
        status=EventDelivery.Status.PENDING, next_attempt_at__lte=now
    ).order_by("event_id")
    for delivery_id in list(due.values_list("id", flat=True)[:limit]):
        with transaction.atomic():
            delivery = (
                EventDelivery.objects.select_for_update(skip_locked=True)
                .select_related("event")
                .filter(id=delivery_id, status=EventDelivery.Status.PENDING)
                .first()
            )
            if delivery is not None:
                _retry(delivery, now)
    pending = DomainEvent.objects.filter(dispatched_at__isnull=True).order_by("id")
    for event_id in list(pending.values_list("id", flat=True)[:limit]):
        with transaction.atomic():
            event = (
                DomainEvent.objects.select_for_update(skip_locked=True)
                .filter(id=event_id, dispatched_at__isnull=True)
                .first()
            )
            if event is None:
                continue
            _deliver_new(event, now)
            event.dispatched_at = timezone.now()
            event.save(update_fields=["dispatched_at"])
            done += 1
    return done


def events_prune(*, older_than: dt.timedelta = PRUNE_AFTER) -> int:
    """Delete events dispatched longer ago than `older_than` with no delivery outstanding."""
    cutoff = timezone.now() - older_than
    old = DomainEvent.objects.filter(dispatched_at__lt=cutoff).exclude(
        deliveries__status=EventDelivery.Status.PENDING
    )
    return old.delete()[0]
