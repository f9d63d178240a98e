"""Email in, for sales: a message from an unknown sender to a timeline mailbox with
`create_leads_for_unknown` on becomes a lead (registered with engagement's inbound mail in
SalesConfig.ready(); engagement, a lower layer, cannot make leads itself)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kith.core.errors import FieldError, Forbidden
from kith.engagement.mail import InboundMessage, UnfiledMessage
from kith.engagement.models import Mailbox
from kith.sales.models import Channel, Lead
from kith.sales.services import lead_create

OPEN_LEAD = (Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.QUALIFIED)


def lead_from_email(mailbox: Mailbox, message: InboundMessage) -> tuple[str, int]:
    """The sender's open lead, or a new one owned by the mailbox's owner (source "email").
    Returns ("sales.lead", id); raises UnfiledMessage when no lead can be made."""
    existing = (
        Lead.objects.filter(email=message.from_address, status__in=OPEN_LEAD)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        return "sales.lead", existing
    try:
        lead = lead_create(
            by=mailbox.owner,
            full_name=message.from_name or message.from_address.split("@")[0],
            email=message.from_address,
            message=(message.subject + "\n\n" + message.text).strip()[:5000],
            source_channel=Channel.EMAIL,
        )
    except Forbidden as exc:
        reason = _("the mailbox's owner may not create leads")
        raise UnfiledMessage(_("No lead could be made: %(reason)s") % {"reason": reason}) from exc
    except FieldError as exc:
        reason = "; ".join(str(v) for v in exc.errors.values())
        raise UnfiledMessage(_("No lead could be made: %(reason)s") % {"reason": reason}) from exc
    return "sales.lead", lead.pk
