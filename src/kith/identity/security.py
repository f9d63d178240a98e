"""The security audit trail and sign-in throttling.

Every security-relevant act (sign-ins and their failures, password, role and token changes,
exports, imports, merges, erasures, backups, settings changes) is one SecurityEvent: who, when,
the hashed client address, what. Sign-in throttling reads the same rows: an account with
KITH_SIGNIN_MAX_FAILURES failed sign-ins within KITH_SIGNIN_WINDOW seconds (since its last good
sign-in), or an address with KITH_SIGNIN_MAX_FAILURES_ADDRESS, is locked out for
KITH_SIGNIN_LOCKOUT seconds after the last failure, the right password included.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.pagination import Ordering, Page, paginate
from kith.core.requests import address_hash, current_address
from kith.identity.access import admin_require
from kith.identity.models import SecurityEvent, User

Kind = SecurityEvent.Kind


def security_event_record(
    *,
    kind: str,
    actor: Any = None,
    username: str = "",
    target: str = "",
    detail: Mapping[str, Any] | None = None,
    address: str | None = None,
    at: datetime | None = None,
) -> SecurityEvent:
    """Record one security event. `address` defaults to the current request's (none in the CLI
    or worker); it is stored hashed. `detail` holds ids, counts and codes, never customer data."""
    user = actor if isinstance(actor, User) and actor.pk else None
    return SecurityEvent.objects.create(
        at=at or timezone.now(),
        kind=kind,
        actor=user,
        username=(username or (user.username if user else ""))[:150],
        address_hash=address_hash(current_address() if address is None else address),
        target=target[:80],
        detail=dict(detail or {}),
    )


# --- sign-in throttling ----------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    until: datetime

    def message(self, now: datetime) -> str:
        minutes = max(1, int((self.until - now).total_seconds() + 59) // 60)
        return _(
            "Too many failed sign-ins. Try again in %(n)d minutes, or ask an administrator."
        ) % {"n": minutes}


def _lockout_of(events: QuerySet[SecurityEvent], limit: int, now: datetime) -> Lockout | None:
    window = timedelta(seconds=settings.KITH_SIGNIN_WINDOW)
    lockout = timedelta(seconds=settings.KITH_SIGNIN_LOCKOUT)
    times = list(
        events.filter(kind=Kind.SIGNIN_FAILED, at__gte=now - window - lockout)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if limit <= 0 or len(times) < limit or times[0] - times[-1] > window:
        return None
    until = times[0] + lockout
    return Lockout(until) if until > now else None


def signin_lockout(*, username: str, address: str, now: datetime | None = None) -> Lockout | None:
    """The lockout in force for this account or this address, if any."""
    now = now or timezone.now()
    hashed = address_hash(address)
    account = SecurityEvent.objects.filter(username=username[:150])
    last_good = (
        account.filter(kind=Kind.SIGNIN).order_by("-at").values_list("at", flat=True).first()
    )
    if last_good is not None:
        account = account.filter(at__gt=last_good)
    found = [
        _lockout_of(account, settings.KITH_SIGNIN_MAX_FAILURES, now) if username else None,
        _lockout_of(
            SecurityEvent.objects.filter(address_hash=hashed),
            settings.KITH_SIGNIN_MAX_FAILURES_ADDRESS,
            now,
        )
        if hashed
        else None,
    ]
    locks = [lock for lock in found if lock is not None]
    return max(locks, key=lambda lock: lock.until) if locks else None


# --- reading the trail (administrators only) ----------------------------------------------


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None
    if not 1970 <= day.year <= 9998:
        errors[field] = _("Enter a date between 1970 and 9998.")
        return None
    return day


def security_events_filtered(
    *, by: User, kind: str = "", username: str = "", since: str = "", until: str = ""
) -> QuerySet[SecurityEvent]:
    """The trail, newest first, filtered by kind, user name (exact) and days (YYYY-MM-DD,
    inclusive, in the server's time zone). Raises FieldError naming a bad filter."""
    admin_require(by)
    errors: dict[str, str] = {}
    if kind and kind not in Kind.values:
        errors["kind"] = _("“%(value)s” is not a valid choice.") % {"value": kind}
    start = _day(since, "since", errors)
    end = _day(until, "until", errors)
    if errors:
        raise FieldError(errors)
    events = SecurityEvent.objects.select_related("actor")
    if kind:
        events = events.filter(kind=kind)
    if username:
        events = events.filter(username=username[:150])
    zone = timezone.get_current_timezone()
    if start:
        events = events.filter(at__gte=datetime.combine(start, time.min, tzinfo=zone))
    if end:
        events = events.filter(at__lt=datetime.combine(end + timedelta(days=1), time.min, zone))
    return events


def security_events_page(
    *, by: User, cursor: str | None = None, limit: int = 50, **filters: str
) -> Page[SecurityEvent]:
    """One page of security_events_filtered, newest first."""
    events = security_events_filtered(by=by, **filters)
    return paginate(events, ordering=Ordering("at", descending=True), cursor=cursor, limit=limit)


CSV_HEADER = ("at", "kind", "username", "actor_id", "address_hash", "target", "detail")


def security_events_csv(*, by: User, **filters: str) -> Iterator[str]:
    """The filtered trail as CSV lines (a header first), for a streaming download. Recorded as an
    export itself."""
    events = security_events_filtered(by=by, **filters)
    security_event_record(kind=Kind.EXPORT, actor=by, target="security_events")
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(row: tuple[Any, ...]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        return buffer.getvalue()

    yield line(CSV_HEADER)
    for event in events.iterator(chunk_size=2000):
        yield line(
            (
                event.at.isoformat(),
                event.kind,
                _neutral(event.username),
                event.actor_id or "",
                event.address_hash,
                _neutral(event.target),
                _neutral(_detail_text(event.detail)),
            )
        )


def _detail_text(detail: Any) -> str:
    return json.dumps(detail, sort_keys=True, ensure_ascii=False) if detail else ""


def _neutral(value: str) -> str:
    # A typed user name could start a spreadsheet formula (CSV injection).
    return f"'{value}" if value[:1] in {"=", "+", "-", "@"} else value
