"""The support mailbox: engagement's inbound mail fetcher hands each message of a mailbox with
purpose "support" to `support_mail_handle` (registered in ServiceConfig.ready())."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.engagement.mail import InboundMessage, UnfiledMessage
from kith.engagement.models import Mailbox
from kith.service.services import support_email_file


def support_mail_handle(mailbox: Mailbox, message: InboundMessage) -> str:
    """File one support email as a new ticket or a reply on its ticket (idempotent by
    Message-ID); returns where it went, raises UnfiledMessage when it cannot be filed."""
    if not message.message_id:
        raise UnfiledMessage(_("The message has no Message-ID."))
    try:
        ticket, created = support_email_file(
            sender=message.from_address,
            sender_name=message.from_name,
            subject=message.subject,
            body=message.text,
            message_id=message.message_id,
            in_reply_to=message.in_reply_to,
            references=message.references,
            now=message.date,
        )
    except FieldError as exc:
        raise UnfiledMessage("; ".join(exc.errors.values())) from exc
    if created:
        return _("New ticket %(ref)s") % {"ref": ticket.reference}
    return _("Reply on ticket %(ref)s") % {"ref": ticket.reference}
