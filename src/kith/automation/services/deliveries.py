"""Webhook deliveries: made for each event a subscription wants, sent by the worker.

Sending (`deliveries_send`) first CLAIMS a batch in one transaction (one more attempt each, and
a lease: `next_attempt_at` moves LEASE ahead), then POSTs outside any transaction (several at
once, over kept-open connections), then records the results in one transaction. A worker
killed between the POSTs and that record leaves the deliveries pending with their lease, so it is sent again when the lease ends: at least once, and the
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.automation.active import active_for
from kith.automation.addresses import AddressRefused, url_resolve
from kith.automation.models import Delivery, DeliveryAttempt, Subscription
from kith.automation.outbound import Connections, Response, http_post
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
    wanted = active_for(event.created_at).subscriptions_for(event.name, event.created_at)
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


def _claim(now: dt.datetime, limit: int) -> list[Delivery]:
    """Claim up to `limit` due deliveries in one transaction: one more attempt each and a lease
    (`next_attempt_at` moves LEASE ahead, so no other worker takes them meanwhile). On
    PostgreSQL the due rows are locked with SKIP LOCKED (workers take different rows); on
    SQLite the transaction is IMMEDIATE (settings), so claims run one after the other.

    In order per record: a delivery is taken only when every earlier pending delivery of its
    record (to the same subscription) is taken with it; they are then sent in event order."""
    with transaction.atomic():
        due = (
            Delivery.objects.filter(
                status=Delivery.Status.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .select_related("subscription")
            .order_by("event_id", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        candidates = list(due[:limit])
        if not candidates:
            return []
        wanted = {d.pk for d in candidates}
        groups = {(d.subscription_id, d.record_key) for d in candidates}
        pending = (
            Delivery.objects.filter(
                status=Delivery.Status.PENDING,
                subscription_id__in={g[0] for g in groups},
                record_key__in={g[1] for g in groups},
                event_id__lte=max(d.event_id for d in candidates),
            )
            .order_by("event_id", "id")
            .values_list("id", "subscription_id", "record_key")
        )
        taken: set[int] = set()
        blocked: set[tuple[int, str]] = set()
        for pk, subscription_id, key in pending:
            group = (subscription_id, key)
            if group not in groups or group in blocked:
                continue
            if pk in wanted:
                taken.add(pk)
            else:
                blocked.add(group)  # an earlier one is leased or waits for its retry
        claimed = [d for d in candidates if d.pk in taken]
        if claimed:
            Delivery.objects.filter(pk__in=taken).update(
                attempts=F("attempts") + 1, next_attempt_at=now + LEASE
            )
        for delivery in claimed:
            delivery.attempts += 1
            delivery.next_attempt_at = now + LEASE
        return claimed


def _headers(delivery: Delivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Kith-Webhooks/1",
        HEADER: signature_make(secret=delivery.subscription.secret, body=body),
        "Kith-Event": delivery.event_name,
        "Idempotency-Key": delivery.idempotency_key,
    }


Resolved = tuple[str, int, str] | str  # (host, port, address) or why the guard refused


def _attempt(
    delivery: Delivery, resolved: Resolved, connections: Connections
) -> tuple[Response | None, str]:
    if isinstance(resolved, str):
        return None, resolved
    body = delivery.body.encode()
    try:
        response = http_post(
            url=delivery.subscription.url,
            body=body,
            headers=_headers(delivery, body),
            connections=connections,
            resolved=resolved,
        )
        return response, ""
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"[:300]


@dataclass
class _Outcome:
    delivery: Delivery
    response: Response | None = None
    error: str = ""
    sent: bool = True  # False: not attempted (an earlier one of its record failed)

    @property
    def ok(self) -> bool:
        return self.response is not None and 200 <= self.response.code < 300


def _send_groups(groups: list[list[Delivery]], resolved: dict[str, Resolved]) -> list[_Outcome]:
    """POST each group's deliveries in order, over connections kept open for the group's run;
    after a failure the rest of that record's deliveries wait (not attempted)."""
    connections = Connections()
    outcomes: list[_Outcome] = []
    try:
        for group in groups:
            failed = False
            for delivery in group:
                if failed:
                    outcomes.append(_Outcome(delivery, sent=False))
                    continue
                response, error = _attempt(
                    delivery, resolved[delivery.subscription.url], connections
                )
                outcome = _Outcome(delivery, response, error)
                outcomes.append(outcome)
                failed = not outcome.ok
    finally:
        connections.close()
    return outcomes


def _result_record(outcomes: list[_Outcome], now: dt.datetime) -> None:
    """Record a batch's attempts and results in one transaction."""
    with transaction.atomic():
        attempts, changed, released = [], [], []
        # Per subscription, in event order: consecutive failures (reset by a success).
        streaks: dict[int, tuple[bool, int]] = {}  # id → (a success seen, failures after it)
        disable: dict[int, Subscription] = {}
        for outcome in sorted(outcomes, key=lambda o: (o.delivery.event_id, o.delivery.pk)):
            delivery, response = outcome.delivery, outcome.response
            if not outcome.sent:
                released.append(delivery.pk)
                continue
            error = outcome.error
            if response is not None and not outcome.ok:
                error = _("The receiver answered %(code)s.") % {"code": response.code}
            attempts.append(
                DeliveryAttempt(
                    delivery=delivery,
                    at=now,
                    response_code=response.code if response else None,
                    response_ms=response.ms if response else None,
                    error=error[:300],
                )
            )
            delivery.response_code = response.code if response else None
            delivery.response_ms = response.ms if response else None
            delivery.error = "" if outcome.ok else error[:300]
            success, failures = streaks.get(delivery.subscription_id, (False, 0))
            if outcome.ok:
                delivery.status = Delivery.Status.DELIVERED
                delivery.delivered_at = now
                streaks[delivery.subscription_id] = (True, 0)
            else:
                streaks[delivery.subscription_id] = (success, failures + 1)
                if now >= delivery.deadline_at:
                    delivery.status = Delivery.Status.FAILED
                    disable[delivery.subscription_id] = delivery.subscription
                else:
                    delivery.next_attempt_at = min(
                        now + retry_delay(delivery.attempts), delivery.deadline_at
                    )
            changed.append(delivery)
        DeliveryAttempt.objects.bulk_create(attempts, batch_size=500)
        Delivery.objects.bulk_update(
            changed,
            ["status", "delivered_at", "next_attempt_at", "response_code", "response_ms", "error"],
            batch_size=200,
        )
        if released:
            Delivery.objects.filter(pk__in=released).update(
                attempts=F("attempts") - 1, next_attempt_at=now
            )
        for subscription_id, (success, failures) in streaks.items():
            subscriptions = Subscription.objects.filter(pk=subscription_id)
            if success:
                subscriptions.exclude(failure_count=failures).update(failure_count=failures)
            elif failures:
                subscriptions.update(failure_count=F("failure_count") + failures)
        for subscription in disable.values():
            _subscription_disable(subscription, now=now)


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


SENDERS = 8  # threads POSTing at once (each with its own kept connections)


def deliveries_send(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send up to `limit` due deliveries, oldest event first; returns how many were attempted.

    One claim for the batch, the POSTs from up to SENDERS threads at once (a record's
    deliveries in order, in one thread; the threads touch no database), one transaction for
    the results. Several workers may run this at once (see `_claim`)."""
    now = now or timezone.now()
    claimed = _claim(now, limit)
    if not claimed:
        return 0
    resolved: dict[str, Resolved] = {}
    for url in {d.subscription.url for d in claimed}:
        try:
            resolved[url] = url_resolve(url)
        except AddressRefused as error:
            resolved[url] = str(error)
    by_record: dict[tuple[int, str], list[Delivery]] = {}
    for delivery in claimed:  # in event order
        by_record.setdefault((delivery.subscription_id, delivery.record_key), []).append(delivery)
    groups = list(by_record.values())
    lanes = min(SENDERS, len(groups))
    shares = [groups[n::lanes] for n in range(lanes)]
    if lanes == 1:
        outcomes = _send_groups(shares[0], resolved)
    else:
        with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="kith-webhook") as pool:
            outcomes = [
                outcome
                for share in pool.map(lambda share: _send_groups(share, resolved), shares)
                for outcome in share
            ]
    _result_record(outcomes, now)
    return sum(1 for outcome in outcomes if outcome.sent)


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
