"""A person's privacy rights (GDPR, PIPL, Vietnam's Decree 13/2023): an export of everything
Kith holds about a contact (or a lead that never became one), and its erasure. Each is logged
in the privacy request log (kith.intake.privacy_requests), closing the request it answers.

Both go through every installed app's personal-data handlers (KithAppConfig.personal_data,
kith.core.doors.personal_data_handlers): an export is a ZIP with one JSON file per handler;
an erasure runs the handlers (higher apps first, customers last, so each still finds what it
needs), then searches every text, JSON and binary column of every table for the person's
names, emails and phones and replaces what it finds (import files, error files, merge records,
history written by any app). The contact row stays, anonymised, so orders and tickets stay in
the figures as anonymous revenue and counts. What is left is a security event that an erasure
happened, with the counts and no personal data.

A lead that never became a contact goes through the handlers' optional `lead_export(lead_id)`
and `lead_erase(lead_id)` (sales: the lead and its history; engagement: comments; intake:
import before-values; automation: inbound bodies and run logs), then the same search.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.doors import personal_data_handlers
from kith.core.errors import Conflict, NotFound
from kith.core.personal_data import ERASED
from kith.core.text import digits
from kith.customers.models import Contact, ContactPoint
from kith.identity.access import admin_require
from kith.identity.models import SecurityEvent, User
from kith.identity.security import security_event_record
from kith.intake.models import PrivacyRequest
from kith.intake.privacy_requests import privacy_request_answered
from kith.sales.models import Lead

# Tables the search over every column leaves alone: users, the audit trail and Django's own.
_SKIP_APPS = frozenset({"auth", "contenttypes", "sessions", "identity", "django_tasks_database"})
_TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.BinaryField)
_MIN_LENGTH = 4  # shorter values ("Lee", "An") are words in other people's text


def _contact(contact_id: int) -> Contact:
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound("Not found.")
    return contact


def personal_data_export(*, by: User | None, contact_id: int) -> bytes:
    """A ZIP of JSON files, one per app handler ("kith.sales.personal_data.json"), with
    everything Kith holds about the contact. Administrators only (None: the CLI)."""
    if by is not None:
        admin_require(by)
    contact = _contact(contact_id)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        index = {"contact_id": contact.pk, "exported_at": timezone.now().isoformat(), "parts": []}
        for path, handler in personal_data_handlers().items():
            name = f"{path}.json"
            archive.writestr(
                name, json.dumps(handler.export(contact.pk), ensure_ascii=False, indent=1)
            )
            index["parts"].append(name)
        archive.writestr("index.json", json.dumps(index, indent=1))
    security_event_record(
        kind=SecurityEvent.Kind.PERSONAL_DATA_EXPORT, actor=by, target=f"contact:{contact.pk}"
    )
    privacy_request_answered(
        by=by,
        kind=PrivacyRequest.Kind.EXPORT,
        subject=PrivacyRequest.CONTACT,
        subject_id=contact.pk,
    )
    return out.getvalue()


def identifiers_of(contact: Contact) -> tuple[list[str], list[str]]:
    """What names the person in free text: the full name and first and last names (of at
    least four characters), every email, phone and social handle; and the phones' national
    digits (last nine), found however they were typed ("0912 345 678", "+84-912-345-678")."""
    values = [contact.full_name, contact.first_name, contact.last_name]
    phones = []
    for kind, value in ContactPoint.objects.filter(contact=contact).values_list("kind", "value"):
        values.append(value)
        if kind == "phone" and len(digits(value)) >= 7:
            phones.append(digits(value)[-9:])
    found = {v.strip() for v in values if v and len(v.strip()) >= _MIN_LENGTH}
    found.discard(ERASED)
    return sorted(found, key=len, reverse=True), sorted(set(phones))


@transaction.atomic
def personal_data_erase(*, by: User | None, contact_id: int) -> dict[str, int]:
    """Erase the contact's personal data everywhere (see the module docstring); returns how
    many records of each kind were erased or anonymised. Administrators only (None: the CLI)."""
    if by is not None:
        admin_require(by)
    contact = _contact(contact_id)
    identifiers, phones = identifiers_of(contact)
    counts: dict[str, int] = {}
    for path, handler in reversed(list(personal_data_handlers().items())):
        app = path.split(".")[1] if path.startswith("kith.") else path
        for kind, n in handler.erase(contact.pk).items():
            counts[f"{app}.{kind}"] = counts.get(f"{app}.{kind}", 0) + n
    counts["everywhere.values"] = text_scrub(identifiers, phones=phones)
    security_event_record(
        kind=SecurityEvent.Kind.ERASURE,
        actor=by,
        target=f"contact:{contact.pk}",
        detail={k: v for k, v in counts.items() if v},
    )
    privacy_request_answered(
        by=by,
        kind=PrivacyRequest.Kind.ERASURE,
        subject=PrivacyRequest.CONTACT,
        subject_id=contact.pk,
    )
    return counts


def _lead(lead_id: int) -> Lead:
    """A lead that never became a contact (one that did is the contact's: ask for that)."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("Not found.")
    if lead.contact_id is not None:
        raise Conflict(
            _("Lead %(lead)s became contact %(contact)s: export or erase the contact.")
            % {"lead": lead.pk, "contact": lead.contact_id}
        )
    return lead


def lead_personal_data_export(*, by: User | None, lead_id: int) -> bytes:
    """A ZIP of JSON files, one per app handler with a part for leads, of everything Kith holds
    about a lead that never became a contact. Administrators only (None: the CLI)."""
    if by is not None:
        admin_require(by)
    lead = _lead(lead_id)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        index = {"lead_id": lead.pk, "exported_at": timezone.now().isoformat(), "parts": []}
        for path, handler in personal_data_handlers().items():
            part = getattr(handler, "lead_export", None)
            if part is None:
                continue
            name = f"{path}.json"
            archive.writestr(name, json.dumps(part(lead.pk), ensure_ascii=False, indent=1))
            index["parts"].append(name)
        archive.writestr("index.json", json.dumps(index, indent=1))
    security_event_record(
        kind=SecurityEvent.Kind.PERSONAL_DATA_EXPORT, actor=by, target=f"lead:{lead.pk}"
    )
    privacy_request_answered(
        by=by, kind=PrivacyRequest.Kind.EXPORT, subject=PrivacyRequest.LEAD, subject_id=lead.pk
    )
    return out.getvalue()


@transaction.atomic
def lead_personal_data_erase(*, by: User | None, lead_id: int) -> dict[str, int]:
    """Erase a lead that never became a contact everywhere: its record (anonymised, it stays
    counted), history values, comments, inbound bodies, and every text that names it."""
    if by is not None:
        admin_require(by)
    lead = _lead(lead_id)
    names = [lead.full_name, lead.email, lead.phone]
    identifiers = sorted(
        {v.strip() for v in names if v and len(v.strip()) >= _MIN_LENGTH} - {ERASED},
        key=len,
        reverse=True,
    )
    phones = [digits(lead.phone)[-9:]] if len(digits(lead.phone)) >= 7 else []
    counts: dict[str, int] = {}
    for path, handler in reversed(list(personal_data_handlers().items())):
        part = getattr(handler, "lead_erase", None)
        if part is None:
            continue
        app = path.split(".")[1] if path.startswith("kith.") else path
        for kind, n in part(lead.pk).items():
            counts[f"{app}.{kind}"] = counts.get(f"{app}.{kind}", 0) + n
    counts["everywhere.values"] = text_scrub(identifiers, phones=phones)
    security_event_record(
        kind=SecurityEvent.Kind.ERASURE,
        actor=by,
        target=f"lead:{lead.pk}",
        detail={k: v for k, v in counts.items() if v},
    )
    privacy_request_answered(
        by=by, kind=PrivacyRequest.Kind.ERASURE, subject=PrivacyRequest.LEAD, subject_id=lead.pk
    )
    return counts


def _scrub_text(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(ERASED, text)


def text_scrub(identifiers: Iterable[str], *, phones: Iterable[str] = ()) -> int:
    """Replace every occurrence of `identifiers` (case-insensitively), and of the phone
    numbers `phones` (their digits, with any spaces, dots, dashes or brackets between), in every
    text, JSON and binary column of every Kith table; returns the values changed. One scan per
    column: an erasure is rare, and must be complete."""
    literals = [i for i in identifiers if i]
    numbers = [p for p in phones if len(p) >= 7]
    if not literals and not numbers:
        return 0
    spelled = [r"[\s.\-()]*".join(re.escape(d) for d in number) for number in numbers]
    pattern = re.compile("|".join([*(re.escape(i) for i in literals), *spelled]), re.IGNORECASE)
    # The database narrows the rows down (a phone by its last three digits), Python decides.
    wanted = [*literals, *(number[-3:] for number in numbers)]
    encoded = [(i.encode(), i.encode("gb18030", "ignore")) for i in literals]
    changed = 0
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in _SKIP_APPS or meta.proxy or not meta.managed:
            continue
        for field in meta.concrete_fields:
            if not isinstance(field, _TEXT_FIELDS) or field.primary_key:
                continue
            if isinstance(field, models.BinaryField):
                changed += _scrub_binary(model, field, encoded)
            else:
                changed += _scrub_column(model, field, wanted, pattern)
    return changed


def _like_rows(model: Any, field: Any, wanted: list[str]) -> list[tuple[Any, Any]]:
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field.column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    text = f"CAST({column} AS TEXT)" if connection.vendor == "postgresql" else column
    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    where = " OR ".join(f"{text} {like} %s" for _w in wanted)
    params = [f"%{w}%" for w in wanted]
    if isinstance(field, models.JSONField):
        # JSON text escapes non-ASCII ("\\u738b"): look for that spelling too.
        escaped = [json.dumps(w)[1:-1] for w in wanted if not w.isascii()]
        where = " OR ".join([where, *(f"{text} {like} %s" for _e in escaped)])
        params += [f"%{e}%" for e in escaped]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {where}", params)  # noqa: S608
        return list(cursor.fetchall())


def _scrub_column(model: Any, field: Any, wanted: list[str], pattern: re.Pattern[str]) -> int:
    changed = 0
    for pk, raw in _like_rows(model, field, wanted):
        if isinstance(field, models.JSONField):
            value = json.loads(raw) if isinstance(raw, str) else raw
            text = json.dumps(value, ensure_ascii=False)
            new: Any = json.loads(_scrub_text(text, pattern))
            if new == value:
                continue
        else:
            new = _scrub_text(str(raw), pattern)
            if field.max_length:
                new = new[: field.max_length]
            if new == raw:
                continue
        model._base_manager.filter(pk=pk).update(**{field.attname: new})
        changed += 1
    return changed


def _scrub_binary(model: Any, field: Any, encoded: list[tuple[bytes, bytes]]) -> int:
    """A stored file (an import's upload, a raw email) that holds the person in any encoding
    Kith reads is emptied: a file cannot be edited safely inside (XLSX is compressed)."""
    changed = 0
    rows = model._base_manager.exclude(**{field.attname: b""}).values_list("pk", field.attname)
    for pk, value in rows.iterator(chunk_size=200):
        lowered = _searchable(bytes(value or b"")).lower()
        if any(u.lower() in lowered or (g and g.lower() in lowered) for u, g in encoded):
            model._base_manager.filter(pk=pk).update(**{field.attname: b""})
            changed += 1
    return changed


_ZIP_LIMIT = 200 * 1024 * 1024  # decompressed bytes read from one stored XLSX


def _searchable(data: bytes) -> bytes:
    """The bytes to search in a stored file: an XLSX (a ZIP) is searched in its decompressed
    parts (names and emails are in its XML as UTF-8), anything else as it is."""
    if not data.startswith(b"PK"):
        return data
    try:
        parts = [data]
        total = 0
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                total += info.file_size
                if total > _ZIP_LIMIT:  # a zip bomb: the parts beyond the limit are not read
                    break
                parts.append(archive.read(info))
        return b"\n".join(parts)
    except (zipfile.BadZipFile, OSError, ValueError):
        return data
