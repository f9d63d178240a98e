"""The privacy request log: each request a person makes to see (export) or erase their data,
received, due KITH_PRIVACY_REQUEST_DAYS later (30 by default, the GDPR deadline), done, and by
whom, so an overdue request shows. An export or erasure (kith.intake.privacy) closes the oldest
open request of its kind for that person, or logs one received and done at once.

Administrators only, like the export and erasure themselves; the log holds ids, never names."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError, NotFound
from kith.customers.models import Contact
from kith.identity.access import admin_require
from kith.identity.models import User
from kith.intake.models import PrivacyRequest
from kith.sales.models import Lead

_SUBJECT_MODELS = {PrivacyRequest.CONTACT: Contact, PrivacyRequest.LEAD: Lead}


def privacy_request_due(received_at: datetime) -> datetime:
    """When a request received at `received_at` must be answered."""
    return received_at + timedelta(days=settings.KITH_PRIVACY_REQUEST_DAYS)


def privacy_request_is_overdue(request: PrivacyRequest, *, now: datetime | None = None) -> bool:
    """An open request past its due date."""
    return request.done_at is None and request.due_at < (now or timezone.now())


@transaction.atomic
def privacy_request_log(
    *,
    by: User | None,
    kind: str,
    subject: str,
    subject_id: int,
    received_at: datetime | None = None,
    channel: str = "",
) -> PrivacyRequest:
    """Log a request received (now, or at `received_at`, not in the future) for a contact or a
    lead. FieldError names a bad kind, subject or date."""
    if by is not None:
        admin_require(by)
    now = timezone.now()
    received_at = received_at or now
    errors = {}
    if kind not in PrivacyRequest.Kind.values:
        errors["kind"] = _("Choose export or erasure.")
    model = _SUBJECT_MODELS.get(subject)
    if model is None:
        errors["subject"] = _("Choose a contact or a lead.")
    elif not model.objects.filter(pk=subject_id).exists():
        errors["subject_id"] = _("There is no such record.")
    if received_at > now + timedelta(minutes=5):
        errors["received_at"] = _("A request cannot be received in the future.")
    if len(channel) > 80:
        errors["channel"] = _("At most 80 characters.")
    if errors:
        raise FieldError(errors)
    request = PrivacyRequest.objects.create(
        kind=kind,
        subject=subject,
        subject_id=subject_id,
        received_at=received_at,
        due_at=privacy_request_due(received_at),
        received_by=by,
        channel=channel,
    )
    changes_record(instance=request, actor=by, before=None, after={"kind": kind})
    return request


@transaction.atomic
def privacy_request_done(*, by: User | None, request_id: int) -> PrivacyRequest:
    """Mark a request done now by `by` (done already: left as it was)."""
    if by is not None:
        admin_require(by)
    request = PrivacyRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Not found."))
    if request.done_at is None:
        request.done_at, request.done_by = timezone.now(), by
        request.save(update_fields=["done_at", "done_by"])
        changes_record(instance=request, actor=by, before={"done": ""}, after={"done": "yes"})
    return request


def privacy_request_answered(
    *, by: User | None, kind: str, subject: str, subject_id: int
) -> PrivacyRequest:
    """Called by an export or erasure: close the oldest open request of `kind` for the subject,
    or log one received and done now (a request answered on the spot)."""
    open_request = (
        PrivacyRequest.objects.filter(
            kind=kind, subject=subject, subject_id=subject_id, done_at=None
        )
        .order_by("received_at", "pk")
        .first()
    )
    if open_request is not None:
        return privacy_request_done(by=by, request_id=open_request.pk)
    now = timezone.now()
    return PrivacyRequest.objects.create(
        kind=kind,
        subject=subject,
        subject_id=subject_id,
        received_at=now,
        due_at=privacy_request_due(now),
        received_by=by,
        done_at=now,
        done_by=by,
    )


def privacy_requests_for(*, user: User | None, state: str = "") -> QuerySet[PrivacyRequest]:
    """The log, newest first, for an administrator; `state` "open", "overdue" or "done" narrows
    it (anything else: all)."""
    if user is not None:
        admin_require(user)
    requests = PrivacyRequest.objects.select_related("received_by", "done_by")
    if state == "open":
        requests = requests.filter(done_at=None)
    elif state == "overdue":
        requests = requests.filter(done_at=None, due_at__lt=timezone.now())
    elif state == "done":
        requests = requests.exclude(done_at=None)
    return requests.order_by("-received_at", "-pk")
