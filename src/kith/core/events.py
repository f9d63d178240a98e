"""The domain-event outbox: services record what happened, the worker tells the handlers.

A lower app that must cause something in a higher one (an order earns loyalty points, a stage
change fires an automation rule) neither imports upward nor sends a signal: its service calls
`event_record` inside its transaction, so the event exists exactly when the change commits,
and a higher app registers a handler for it in its AppConfig.ready() with
`event_handler_register`. `kith worker` is to hand the events to the handlers; that dispatch
is not built yet (issue #9 item 6, step 2): until then events are recorded and kept, unread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from kith.core.models import DomainEvent

EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


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
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            f"event_record({name!r}) outside a transaction: record it inside the service's "
            "transaction.atomic, so it commits (or rolls back) with the change"
        )
    if not EVENT_NAME.fullmatch(name) or len(name) > 64:
        raise ValueError(f"an event name is dotted lower-case words, e.g. 'deal.won': {name!r}")
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
        payload=payload or {},
    )


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

    The contract handlers are written against (the worker's dispatch is step 2, not built yet):
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
