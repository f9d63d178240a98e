"""CSAT: the signed survey link, the survey email and the customer's 1–5 answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.customers.models import ContactPoint
from kith.service.models import ContactCsat, Ticket, TicketEvent

CSAT_SALT = "kith.service.csat"

# --- CSAT ------------------------------------------------------------------------------------


def csat_token_make(*, ticket_id: int) -> str:
    """A signed token naming the ticket; valid KITH_SERVICE_CSAT_DAYS days."""
    return signing.dumps({"t": ticket_id}, salt=CSAT_SALT, compress=True)


def csat_token_read(*, token: str) -> int:
    """The ticket id in a CSAT token; FieldError when tampered with or expired."""
    max_age = timedelta(days=getattr(settings, "KITH_SERVICE_CSAT_DAYS", 14))
    try:
        payload = signing.loads(token, salt=CSAT_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise FieldError.one("token", _("This survey link has expired.")) from exc
    except signing.BadSignature as exc:
        raise FieldError.one("token", _("This survey link is not valid.")) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int):
        raise FieldError.one("token", _("This survey link is not valid."))
    return int(payload["t"])


def csat_url(*, ticket_id: int) -> str:
    """The absolute address of the CSAT page for a ticket."""
    token = csat_token_make(ticket_id=ticket_id)
    return settings.KITH_BASE_URL + reverse("csat-answer", args=[token])


def _contact_email(contact_id: int | None) -> str:
    if contact_id is None:
        return ""
    point = (
        ContactPoint.objects.filter(contact_id=contact_id, kind=ContactPoint.Kind.EMAIL)
        .order_by("-is_primary", "pk")
        .first()
    )
    return point.value if point is not None else ""


def csat_request_send(*, ticket_id: int) -> bool:
    """Email the ticket's contact the one-question satisfaction survey. False: no address."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.csat_score is not None:
        return False
    address = _contact_email(ticket.contact_id)
    if not address:
        return False
    body = _(
        "Your request %(ref)s “%(subject)s” has been resolved.\n\n"
        "How satisfied are you with our help? Answer with one click (1 to 5):\n%(url)s\n"
    ) % {"ref": ticket.reference, "subject": ticket.subject, "url": csat_url(ticket_id=ticket.pk)}
    EmailMessage(
        subject=_("%(ref)s How did we do?") % {"ref": ticket.reference},
        body=body,
        to=[address],
    ).send()
    return True


@transaction.atomic
def csat_submit(
    *, token: str, score: Any, comment: str = "", now: datetime | None = None
) -> Ticket:
    """Record the customer's 1–5 score (and comment) on the ticket and the contact's summary.
    Answering again replaces the ticket's earlier answer."""
    now = now or timezone.now()
    ticket_id = csat_token_read(token=token)
    try:
        value = int(str(score))
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise FieldError.one("score", _("Choose a score from 1 to 5."))
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    if ticket is None:
        raise FieldError.one("token", _("This survey link is not valid."))
    previous = ticket.csat_score
    ticket.csat_score, ticket.csat_comment, ticket.csat_at = value, str(comment or "")[:2000], now
    ticket.save(update_fields=["csat_score", "csat_comment", "csat_at"])
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.CSAT, field="csat", old_value=str(previous or ""),
        new_value=str(value), at=now,
    )  # fmt: skip
    if ticket.contact_id is not None:
        summary = ContactCsat.objects.select_for_update().filter(contact_id=ticket.contact_id)
        if summary.exists():
            summary.update(
                answers=F("answers") + (0 if previous else 1),
                score_total=F("score_total") + value - (previous or 0),
                latest_score=value,
                latest_at=now,
                latest_ticket=ticket,
            )
        else:
            ContactCsat.objects.create(
                contact_id=ticket.contact_id,
                answers=1,
                score_total=value,
                latest_score=value,
                latest_at=now,
                latest_ticket=ticket,
            )
    return ticket
