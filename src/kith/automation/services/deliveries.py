"""Webhook deliveries: made for each event a subscription wants, sent by the worker.

Sending a delivery (`deliveries_send`) first CLAIMS it in its own transaction (one more attempt,
and a lease: `next_attempt_at` moves LEASE ahead), then POSTs outside any transaction, then
records the result. A worker killed between the POST and that record leaves the delivery
pending with its lease, so it is sent again when the lease ends: at least once, and the
receiver recognises the repeat by the Idempotency-Key header (event id and subscription).

Order per record: a delivery waits while an earlier event of the same record is still pending
for the same subscription. A failed attempt is retried after RETRY_BASE · 2^(attempts − 1)
(at most RETRY_CAP) until RETRY_WINDOW after the delivery was made; a delivery that is still
failing then is marked failed and its subscription is disabled (persistent failure), and
whoever made the subscription is notified. `delivery_redeliver` sends one again by hand.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.automation.addresses import AddressRefused
from kith.automation.models import Delivery, DeliveryAttempt, Subscription
from kith.automation.outbound import Response, http_post
from kith.automation.signatures import HEADER, signature_make
from kith.core.errors import FieldError, NotFound
from kith.core.events import CAUSE_DEPTH_KEY
from kith.core.models import DomainEvent
from kith.engagement.services import notification_create
from kith.identity.access import admin_require
from kith.identity.models import User

SCHEMA_VERSION = 1
LEASE = dt.timedelta(minutes=2)
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_CAP = dt.timedelta(hours=6)
RETRY_WINDOW = dt.timedelta(hours=24)


def event_body(event: DomainEvent) -> str:
    """The JSON a subscription receives for `event` (schema version 1, see the README)."""
    data = {key: value for key, value in event.payload.items() if key != CAUSE_DEPTH_KEY}
    document = {
        "id": event.id,
        "type": event.name,
        "version": SCHEMA_VERSION,
        "occurred_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "record": {"model": event.model, "id": event.object_id} if event.model else None,
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def record_key(event: DomainEvent) -> str:
    return f"{event.model}:{event.object_id}" if event.model else f"#{event.id}"


def deliveries_for_event(event: DomainEvent) -> int:
    """Make a delivery of `event` for every active subscription that wants it; idempotent
    (unique on event and subscription). Returns how many subscriptions want it."""
    # A new subscription gets what happens from then on, not the backlog queued before it.
    active = Subscription.objects.filter(is_active=True, created_at__lte=event.created_at)
    wanted = [s for s in active if s.wants(event.name)]
    if not wanted:
        return 0
    now = timezone.now()
    body, key = event_body(event), record_key(event)
    Delivery.objects.bulk_create(
        [
            Delivery(
                subscription=subscription,
                event_id=event.id,
                event_name=event.name,
                record_key=key,
                body=body,
                next_attempt_at=now,
                deadline_at=now + RETRY_WINDOW,
            )
            for subscription in wanted
        ],
        ignore_conflicts=True,
    )
    return len(wanted)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def _claim(delivery_id: int, now: dt.datetime) -> Delivery | None:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(
                pk=delivery_id,
                status=Delivery.Status.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .first()
        )
        if delivery is None:
            return None
        earlier = Delivery.objects.filter(
            subscription_id=delivery.subscription_id,
            record_key=delivery.record_key,
            status=Delivery.Status.PENDING,
            event_id__lt=delivery.event_id,
        )
        if earlier.exists():
            return None  # in order per record: the earlier event goes first
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery


def _attempt(delivery: Delivery) -> tuple[Response | None, str]:
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Kith-Webhooks/1",
        HEADER: signature_make(secret=delivery.subscription.secret, body=body),
        "Kith-Event": delivery.event_name,
        "Idempotency-Key": delivery.idempotency_key,
    }
    try:
        return http_post(url=delivery.subscription.url, body=body, headers=headers), ""
    except AddressRefused as error:
        return None, str(error)
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"[:300]


def _result_record(
    delivery: Delivery, response: Response | None, error: str, now: dt.datetime
) -> None:
    ok = response is not None and 200 <= response.code < 300
    if response is not None and not ok:
        error = _("The receiver answered %(code)s.") % {"code": response.code}
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            response_code=response.code if response else None,
            response_ms=response.ms if response else None,
            error=error[:300],
        )
        delivery.response_code = response.code if response else None
        delivery.response_ms = response.ms if response else None
        delivery.error = "" if ok else error[:300]
        subscriptions = Subscription.objects.filter(pk=delivery.subscription_id)
        if ok:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = now
            if delivery.subscription.failure_count:
                subscriptions.update(failure_count=0)
        else:
            subscriptions.update(failure_count=F("failure_count") + 1)
            if now >= delivery.deadline_at:
                delivery.status = Delivery.Status.FAILED
                _subscription_disable(delivery.subscription, now=now)
            else:
                delivery.next_attempt_at = min(
                    now + retry_delay(delivery.attempts), delivery.deadline_at
                )
        delivery.save()


def _subscription_disable(subscription: Subscription, *, now: dt.datetime) -> None:
    reason = _("Deliveries kept failing for %(hours)s hours.") % {
        "hours": int(RETRY_WINDOW.total_seconds() // 3600)
    }
    changed = Subscription.objects.filter(pk=subscription.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason
    )
    if changed and subscription.created_by_id:
        recipient = User.objects.filter(pk=subscription.created_by_id, is_active=True).first()
        if recipient is not None:
            notification_create(
                recipient=recipient,
                kind="automation",
                text=_("Webhook “%(name)s” was disabled: %(reason)s")
                % {"name": subscription.name, "reason": reason},
                url=f"/automation/subscriptions/{subscription.pk}/",
            )


def deliveries_send(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send up to `limit` due deliveries, oldest event first; returns how many were attempted."""
    now = now or timezone.now()
    due = (
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .order_by("event_id", "id")
        .values_list("id", flat=True)
    )
    attempted = 0
    for delivery_id in list(due[:limit]):
        delivery = _claim(delivery_id, now)
        if delivery is None:
            continue
        response, error = _attempt(delivery)
        _result_record(delivery, response, error, now)
        attempted += 1
    return attempted


def delivery_redeliver(*, by: User, delivery_id: int, now: dt.datetime | None = None) -> Delivery:
    """Send a delivery again (delivered or failed ones too), with a new 24-hour retry window."""
    admin_require(by)
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            raise NotFound(_("Not found."))
        if not delivery.subscription.is_active:
            raise FieldError.one(
                "subscription", _("Turn the subscription on again before redelivering.")
            )
        delivery.status = Delivery.Status.PENDING
        delivery.next_attempt_at = now
        delivery.deadline_at = now + RETRY_WINDOW
        delivery.save(update_fields=["status", "next_attempt_at", "deadline_at"])
    return delivery


def deliveries_prune(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Drop delivered and failed deliveries (with their log) older than `older_than`."""
    cutoff = timezone.now() - older_than
    return (
        Delivery.objects.filter(created_at__lt=cutoff)
        .exclude(status=Delivery.Status.PENDING)
        .delete()[0]
    )
