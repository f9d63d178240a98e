"""Email in: poll IMAP mailboxes, account for every message in a ledger, hand each one to the
handler of its mailbox's purpose.

Purposes are a registry (the lower layer defines it, higher ones fill it in their
AppConfig.ready()): engagement files "timeline" mailboxes on contacts' timelines; service
registers "support" (tickets from email).

A handler `handler(mailbox, message) -> str` says where it filed the message, or raises
UnfiledMessage(reason). Leads are a higher layer's records too: sales registers the maker of a
lead for an unknown sender (`unknown_sender_handler_register`), used by timeline mailboxes that
have `create_leads_for_unknown` on. Every message fetched gets one MailMessage row, keyed by
(mailbox, UIDVALIDITY, UID); a Message-ID already filed from the same mailbox is recorded as a
duplicate and not handed over again, so a re-run (or a message copied twice) doubles nothing.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage as StdEmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, Forbidden
from kith.core.events import events_record_many
from kith.customers.models import Contact, ContactPoint
from kith.engagement.models import Interaction, Mailbox, MailMessage

log = logging.getLogger(__name__)


class UnfiledMessage(Exception):
    """A message that cannot be filed; the reason is shown in the Unfiled inbox."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass
class InboundMessage:
    message_id: str
    from_address: str
    from_name: str
    to_addresses: list[str] = field(default_factory=list)
    cc_addresses: list[str] = field(default_factory=list)
    subject: str = ""
    text: str = ""
    html: str = ""
    date: datetime | None = None
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    raw: bytes = b""  # the message as received (a bounce handler reads its DSN parts)


MailHandler = Callable[[Mailbox, InboundMessage], str]
INBOUND_MAIL_HANDLERS: dict[str, MailHandler] = {}


def inbound_mail_handler_register(*, purpose: str, handler: MailHandler) -> None:
    """Set the handler of mailboxes with this purpose ("timeline", "support")."""
    INBOUND_MAIL_HANDLERS[purpose] = handler


# (mailbox, message) -> (record_model, record_id) of the lead the message is filed against; a
# FieldError or Forbidden when no lead can be made. One maker at most (sales registers it).
UnknownSenderHandler = Callable[[Mailbox, InboundMessage], tuple[str, int]]
UNKNOWN_SENDER_HANDLERS: dict[str, UnknownSenderHandler] = {}


def unknown_sender_handler_register(*, handler: UnknownSenderHandler) -> None:
    """Set what makes a lead of a message from an unknown sender (sales registers it)."""
    UNKNOWN_SENDER_HANDLERS["lead"] = handler


_MSGID_RE = re.compile(r"<([^<>\s]+)>")


def _ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _MSGID_RE.findall(str(value))
    return found or [str(value).strip().strip("<>")] if str(value).strip() else []


def _addresses(values: list[str]) -> list[str]:
    return [addr.strip().lower() for _name, addr in getaddresses(values) if "@" in addr]


def message_parse(raw: bytes) -> InboundMessage:
    """An InboundMessage from RFC 5322 bytes; UnfiledMessage when it has no usable sender."""
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the parser is lenient; anything it raises means garbage
        raise UnfiledMessage(_("The message could not be read.")) from exc
    assert isinstance(parsed, StdEmailMessage)
    try:
        senders = getaddresses([str(v) for v in parsed.get_all("From", [])])
    except Exception:
        senders = []
    senders = [(n, a) for n, a in senders if "@" in a]
    if not senders:
        raise UnfiledMessage(_("The message has no sender address."))
    from_name, from_address = senders[0]
    text = html = ""
    try:
        text_part = parsed.get_body(preferencelist=("plain",))
        html_part = parsed.get_body(preferencelist=("html",))
        text = text_part.get_content() if text_part is not None else ""  # type: ignore[attr-defined]
        html = html_part.get_content() if html_part is not None else ""  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, KeyError) as exc:
        raise UnfiledMessage(_("The message body could not be decoded.")) from exc
    date = None
    if parsed["Date"]:
        try:
            date = parsedate_to_datetime(str(parsed["Date"]))
            if date is not None and timezone.is_naive(date):
                date = timezone.make_aware(date, timezone.UTC)
        except (TypeError, ValueError):
            date = None
    message_ids = _ids(parsed["Message-ID"])
    return InboundMessage(
        message_id=message_ids[0] if message_ids else "",
        from_address=from_address.strip().lower(),
        from_name=from_name.strip(),
        to_addresses=_addresses([str(v) for v in parsed.get_all("To", [])]),
        cc_addresses=_addresses([str(v) for v in parsed.get_all("Cc", [])]),
        subject=str(parsed["Subject"] or "").strip()[:300],
        text=text,
        html=html,
        date=date,
        in_reply_to=(_ids(parsed["In-Reply-To"]) or [""])[0],
        references=_ids(parsed["References"]),
        raw=raw,
    )


def _html_to_text(html: str) -> str:
    return re.sub(r"\s+\n", "\n", re.sub(r"<[^>]+>", " ", html)).strip()


def timeline_file(mailbox: Mailbox, message: InboundMessage) -> str:
    """File a message on the timeline of every known contact whose address it carries (one
    email interaction per contact, threaded by In-Reply-To/References). An unknown sender gets
    a lead (made by the registered unknown-sender handler) when the mailbox says so, and the
    message is filed against that lead as well."""
    if not message.message_id:
        raise UnfiledMessage(_("The message has no Message-ID."))
    own = mailbox.username.lower()
    addresses = [message.from_address, *message.to_addresses, *message.cc_addresses]
    addresses = [a for a in dict.fromkeys(addresses) if a != own]
    points = ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, value__in=addresses)
    contact_ids = list(
        dict.fromkeys(points.order_by("contact_id").values_list("contact_id", flat=True))
    )
    lead: tuple[str, int] | None = None
    sender_known = points.filter(value=message.from_address).exists()
    if not sender_known and mailbox.create_leads_for_unknown and message.from_address != own:
        maker = UNKNOWN_SENDER_HANDLERS.get("lead")
        if maker is None:
            raise UnfiledMessage(_("No installed app makes leads from email."))
        try:
            lead = maker(mailbox, message)
        except FieldError as exc:
            reason = "; ".join(str(v) for v in exc.errors.values())
            raise UnfiledMessage(
                _("No lead could be made: %(reason)s") % {"reason": reason}
            ) from exc
        except Forbidden as exc:
            raise UnfiledMessage(
                _("No lead could be made: the mailbox's owner may not create leads.")
            ) from exc
    if not contact_ids and lead is None:
        raise UnfiledMessage(_("No contact has any of these addresses."))
    parents = [message.in_reply_to, *message.references]
    parents = [p for p in parents if p]
    thread_key = message.message_id
    if parents:
        parent = (
            Interaction.objects.filter(message_id__in=parents)
            .exclude(thread_key="")
            .values_list("thread_key", flat=True)
            .first()
        )
        thread_key = parent or (message.references[0] if message.references else parents[0])
    direction = (
        Interaction.Direction.OUT if message.from_address == own else Interaction.Direction.IN
    )
    owner = mailbox.owner
    common = {
        "owner": owner,
        "team_id": owner.team_id,
        "kind": Interaction.Kind.EMAIL,
        "direction": direction,
        "channel": "email",
        "occurred_at": message.date or timezone.now(),
        "subject": message.subject,
        "body": (message.text or _html_to_text(message.html))[:100_000],
        "message_id": message.message_id,
        "in_reply_to": message.in_reply_to,
        "thread_key": thread_key,
        "mailbox": mailbox,
    }
    contacts = Contact.objects.filter(pk__in=contact_ids).only("id", "company_id")
    rows = [Interaction(contact=c, company_id=c.company_id, **common) for c in contacts]
    filed_before = Interaction.objects.filter(message_id=message.message_id)
    known = set(filed_before.values_list("pk", flat=True))
    # ignore_conflicts: a message already on a contact's timeline (sent from Kith, or copied
    # into two folders) is not doubled.
    Interaction.objects.bulk_create(rows, ignore_conflicts=True)
    filed = _("%(count)d contacts") % {"count": len(rows)}
    if lead is not None:
        record_model, record_id = lead
        if not Interaction.objects.filter(
            message_id=message.message_id, record_model=record_model, record_id=record_id
        ).exists():
            Interaction.objects.create(record_model=record_model, record_id=record_id, **common)
        filed += ", " + _("lead #%(id)d") % {"id": record_id}
    events_record_many(
        name="email.received" if direction == Interaction.Direction.IN else "email.sent",
        model=Interaction,
        object_ids=filed_before.exclude(pk__in=known).values_list("pk", flat=True),
        payload={"mailbox_id": mailbox.pk},
    )
    return filed


@dataclass
class FetchResult:
    seen: int = 0
    filed: int = 0
    unfiled: int = 0
    duplicate: int = 0
    errors: list[str] = field(default_factory=list)


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.use_ssl:
        return imaplib.IMAP4_SSL(mailbox.host, mailbox.port, timeout=30)
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=30)


_UIDVALIDITY_RE = re.compile(rb"UIDVALIDITY (\d+)")


def _fetched_bodies(data: list[Any]) -> dict[int, bytes]:
    bodies: dict[int, bytes] = {}
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            match = re.search(rb"UID (\d+)", part[0])
            if match:
                bodies[int(match.group(1))] = part[1]
    return bodies


def message_record(*, mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> MailMessage:
    """Account for one fetched message and hand it to the mailbox's handler, exactly once."""
    existing = MailMessage.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid).first()
    if existing is not None:
        return existing
    entry = MailMessage(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid)
    try:
        message = message_parse(raw)
        entry.message_id = message.message_id[:255]
        entry.from_address = message.from_address[:254]
        entry.subject = message.subject[:300]
        if (
            message.message_id
            and MailMessage.objects.filter(
                mailbox=mailbox, message_id=message.message_id, status=MailMessage.Status.FILED
            ).exists()
        ):
            entry.status = MailMessage.Status.DUPLICATE
            entry.reason = _("Already filed under another UID.")
        else:
            handler = INBOUND_MAIL_HANDLERS.get(mailbox.purpose)
            if handler is None:
                raise UnfiledMessage(_("Nothing files mail of this mailbox's purpose."))
            with transaction.atomic():
                entry.filed_as = handler(mailbox, message)[:300]
                entry.status = MailMessage.Status.FILED
                entry.save()
                return entry
    except UnfiledMessage as unfiled:
        entry.status = MailMessage.Status.UNFILED
        entry.reason = unfiled.reason[:300]
        entry.raw = raw
    except Exception as exc:  # a bug in a handler must not lose the message
        log.exception("mailbox %s uid %s: handler failed", mailbox.pk, uid)
        entry.status = MailMessage.Status.UNFILED
        entry.reason = (_("Filing failed: %(error)s") % {"error": type(exc).__name__})[:300]
        entry.raw = raw
    try:
        entry.save()
    except IntegrityError:  # another worker recorded it at the same time
        return MailMessage.objects.get(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid)
    return entry


def message_refile(*, by: Any, message_id: int) -> MailMessage:
    """Try an unfiled message again (an administrator added the missing contact, say): filed
    now, or still unfiled with the new reason. Administrators only; NotFound otherwise."""
    from kith.core.errors import NotFound
    from kith.identity.access import is_admin

    with transaction.atomic():
        entry = (
            MailMessage.objects.select_for_update()
            .select_related("mailbox", "mailbox__owner")
            .filter(pk=message_id, status=MailMessage.Status.UNFILED)
            .first()
            if is_admin(by)
            else None
        )
        if entry is None:
            raise NotFound(_("Not found."))
        raw = bytes(entry.raw)
        try:
            message = message_parse(raw)
            handler = INBOUND_MAIL_HANDLERS.get(entry.mailbox.purpose)
            if handler is None:
                raise UnfiledMessage(_("Nothing files mail of this mailbox's purpose."))
            with transaction.atomic():
                entry.filed_as = handler(entry.mailbox, message)[:300]
        except UnfiledMessage as unfiled:
            entry.reason = unfiled.reason[:300]
            entry.save(update_fields=["reason"])
            return entry
        except Exception as exc:  # a bug in a handler must not lose the message
            log.exception("unfiled message %s: handler failed", entry.pk)
            entry.reason = (_("Filing failed: %(error)s") % {"error": type(exc).__name__})[:300]
            entry.save(update_fields=["reason"])
            return entry
        entry.status, entry.reason, entry.raw = MailMessage.Status.FILED, "", b""
        entry.save(update_fields=["status", "reason", "raw", "filed_as"])
        return entry


def mailbox_fetch(*, mailbox: Mailbox, batch: int = 100) -> FetchResult:
    """Read every message of the mailbox's folder not yet in the ledger (by UID, starting after
    the last UID seen under the same UIDVALIDITY; a new UIDVALIDITY re-reads the folder and the
    Message-ID check keeps it from doubling). Messages are only read (BODY.PEEK), never changed."""
    result = FetchResult()
    try:
        client = _connect(mailbox)
    except OSError as exc:
        mailbox.last_error = str(exc)[:500]
        mailbox.last_polled_at = timezone.now()
        mailbox.save(update_fields=["last_polled_at", "last_error"])
        result.errors.append(str(exc))
        return result
    try:
        client.login(mailbox.username, mailbox.secret())
        status, data = client.select(_quote(mailbox.folder), readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select {mailbox.folder}")
        _code, values = client.response("UIDVALIDITY")
        uidvalidity = int(values[0]) if values and values[0] else None
        if uidvalidity is None:
            raise imaplib.IMAP4.error("server sent no UIDVALIDITY")
        start = mailbox.last_uid + 1 if mailbox.uidvalidity == uidvalidity else 1
        status, data = client.uid("SEARCH", f"UID {start}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) >= start)
        for offset in range(0, len(uids), batch):
            chunk = uids[offset : offset + batch]
            status, fetched = client.uid(
                "FETCH", ",".join(str(u) for u in chunk), "(UID BODY.PEEK[])"
            )
            bodies = _fetched_bodies(fetched)
            for uid in chunk:
                raw = bodies.get(uid)
                if raw is None:
                    result.errors.append(f"uid {uid}: not returned by the server")
                    continue
                entry = message_record(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, raw=raw)
                result.seen += 1
                if entry.status == MailMessage.Status.FILED:
                    result.filed += 1
                elif entry.status == MailMessage.Status.DUPLICATE:
                    result.duplicate += 1
                else:
                    result.unfiled += 1
                mailbox.uidvalidity = uidvalidity
                mailbox.last_uid = max(mailbox.last_uid if start > 1 else 0, uid)
                Mailbox.objects.filter(pk=mailbox.pk).update(
                    uidvalidity=uidvalidity, last_uid=mailbox.last_uid
                )
        if not uids and mailbox.uidvalidity != uidvalidity:
            mailbox.uidvalidity = uidvalidity
            mailbox.last_uid = 0
        mailbox.last_error = ""
    except (OSError, imaplib.IMAP4.error) as exc:
        mailbox.last_error = str(exc)[:500]
        result.errors.append(str(exc))
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
        mailbox.last_polled_at = timezone.now()
        mailbox.save(update_fields=["uidvalidity", "last_uid", "last_polled_at", "last_error"])
    return result


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailboxes_fetch() -> dict[str, FetchResult]:
    """Poll every active mailbox once."""
    return {
        mailbox.name: mailbox_fetch(mailbox=mailbox)
        for mailbox in Mailbox.objects.filter(is_active=True).select_related("owner")
    }
