"""Retention rules the worker applies every night: raw emails are deleted after
KITH_RETENTION_RAW_EMAIL_DAYS days, and leads that never became a contact are anonymised after
KITH_RETENTION_LEAD_MONTHS months without a change (0 turns a rule off, the default)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kith.core.personal_data import ERASED, history_erase
from kith.engagement.models import MailMessage
from kith.identity.models import SecurityEvent
from kith.identity.security import security_event_record
from kith.sales.models import Lead


@transaction.atomic
def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Apply the retention rules once; how many raw emails and leads were erased."""
    now = now or timezone.now()
    counts = {"raw_emails": 0, "leads": 0}
    days = settings.KITH_RETENTION_RAW_EMAIL_DAYS
    if days > 0:
        counts["raw_emails"] = (
            MailMessage.objects.filter(received_at__lt=now - timedelta(days=days))
            .exclude(raw=b"")
            .update(raw=b"")
        )
    months = settings.KITH_RETENTION_LEAD_MONTHS
    if months > 0:
        leads = Lead.objects.filter(
            contact__isnull=True, updated_at__lt=now - timedelta(days=30 * months)
        ).exclude(full_name=ERASED)
        ids = list(leads.values_list("pk", flat=True))
        history_erase("sales.lead", ids)
        counts["leads"] = Lead.objects.filter(pk__in=ids).update(
            full_name=ERASED, email="", phone="", company_name="", website="", message=""
        )
    if any(counts.values()):
        security_event_record(kind=SecurityEvent.Kind.ERASURE, target="retention", detail=counts)
    return counts
