"""IMAP mailbox settings (administrators); the password stays in the environment."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.engagement.models import Mailbox
from kith.identity.access import is_admin
from kith.identity.models import User

# Mailboxes ---------------------------------------------------------------------------------

MAILBOX_FIELDS = frozenset(
    {
        "name", "host", "port", "use_ssl", "username", "password_env", "folder", "purpose",
        "create_leads_for_unknown", "owner_id", "is_active",
    }
)  # fmt: skip
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,99}")


def _mailbox_apply(mailbox: Mailbox, changes: dict[str, Any], errors: dict[str, str]) -> None:
    from kith.engagement.mail import INBOUND_MAIL_HANDLERS

    for name, limit in (("name", 100), ("host", 253), ("username", 254), ("folder", 200)):
        if name in changes:
            value = str(changes[name] or "").strip()
            if not value:
                errors[name] = _("This field is required.")
            elif len(value) > limit:
                errors[name] = _("Use at most %(n)d characters.") % {"n": limit}
            setattr(mailbox, name, value)
    if "port" in changes:
        try:
            mailbox.port = int(changes["port"])
        except (TypeError, ValueError):
            mailbox.port = 0
        if not 1 <= mailbox.port <= 65535:
            errors["port"] = _("A port is a number from 1 to 65535.")
    if "password_env" in changes:
        mailbox.password_env = str(changes["password_env"] or "").strip()
        if mailbox.password_env and not _ENV_NAME.fullmatch(mailbox.password_env):
            errors["password_env"] = _(
                "Name an environment variable: capital letters, digits and underscores."
            )
    if "purpose" in changes:
        mailbox.purpose = str(changes["purpose"] or "")
        if mailbox.purpose not in Mailbox.Purpose.values:
            errors["purpose"] = _("Choose what this mailbox is for.")
        elif mailbox.purpose not in INBOUND_MAIL_HANDLERS:
            errors["purpose"] = _("No installed app files mail for this purpose.")
    for flag in ("use_ssl", "create_leads_for_unknown", "is_active"):
        if flag in changes:
            setattr(mailbox, flag, bool(changes[flag]))
    if "owner_id" in changes:
        owner = User.objects.filter(pk=changes["owner_id"] or 0, is_active=True).first()
        if owner is None:
            errors["owner_id"] = _("Choose an active user.")
        else:
            mailbox.owner = owner
    if "name" in changes and "name" not in errors:
        clash = Mailbox.objects.filter(name=mailbox.name).exclude(pk=mailbox.pk or 0)
        if clash.exists():
            errors["name"] = _("Another mailbox has this name.")


@transaction.atomic
def mailbox_create(*, by: User, **fields: Any) -> Mailbox:
    """An IMAP mailbox the worker polls (administrators only). The password is never stored:
    `password_env` names the environment variable that holds it."""
    if not is_admin(by):
        raise FieldError.one("__all__", _("Only administrators can set up mailboxes."))
    unknown = set(fields) - MAILBOX_FIELDS
    if unknown:
        raise FieldError({name: _("Unknown field.") for name in sorted(unknown)})
    mailbox = Mailbox(purpose=Mailbox.Purpose.TIMELINE)
    errors: dict[str, str] = {}
    values = {"port": 993, "folder": "INBOX", "use_ssl": True, "owner_id": by.pk, **fields}
    for required in ("name", "host", "username"):
        values.setdefault(required, "")
    _mailbox_apply(mailbox, values, errors)
    if errors:
        raise FieldError(errors)
    mailbox.save()
    return mailbox


@transaction.atomic
def mailbox_update(*, by: User, mailbox_id: int, **changes: Any) -> Mailbox:
    """Change a mailbox's settings (administrators only). A new host, user or folder starts
    reading the folder from its first UID; the ledger keeps that from doubling anything."""
    if not is_admin(by):
        raise FieldError.one("__all__", _("Only administrators can set up mailboxes."))
    unknown = set(changes) - MAILBOX_FIELDS
    if unknown:
        raise FieldError({name: _("Unknown field.") for name in sorted(unknown)})
    mailbox = Mailbox.objects.select_for_update().filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound(_("Not found."))
    source = (mailbox.host, mailbox.username, mailbox.folder)
    errors: dict[str, str] = {}
    _mailbox_apply(mailbox, dict(changes), errors)
    if errors:
        raise FieldError(errors)
    if (mailbox.host, mailbox.username, mailbox.folder) != source:
        mailbox.uidvalidity, mailbox.last_uid = None, 0
    if mailbox.password_env:
        mailbox.password = ""
    mailbox.save()
    return mailbox
