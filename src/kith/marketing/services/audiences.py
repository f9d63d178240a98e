"""Customer-match audiences for ad platforms: a segment's consented contacts frozen with a random
holdout left out of the file; the file holds SHA-256 hashes of normalised emails and phones in
the platform's documented form; afterwards the same lift report, exposed versus holdout.

Normalisation (both platforms document it before hashing): emails trimmed and lower-cased;
phones in E.164 — Google hashes "+84901234567", Meta the digits only, "84901234567".
Only contacts with a granted email marketing consent are exported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.customers.models import ContactPoint
from kith.identity.access import for_write, require, visible_to
from kith.identity.models import User
from kith.marketing.models import AudienceExport, AudienceExportMember, Segment
from kith.marketing.rules import consent_granted_q
from kith.marketing.services.campaigns import draw
from kith.marketing.services.segments import segment_contacts

FORMATS = {"google": ("Email", "Phone"), "meta": ("email", "phone")}


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def audience_export_create(
    *, by: User, segment_id: int, holdout_percent: int = 10, attribution_days: int = 30
) -> AudienceExport:
    """Freeze the segment's consented contacts (those `by` sees) into an export with a holdout."""
    require(by, "marketing", "export")
    if not 0 <= int(holdout_percent) <= 90:
        raise FieldError.one(
            "holdout_percent", _("Enter a number from 0 to %(top)d.") % {"top": 90}
        )
    with transaction.atomic():
        segment = for_write(Segment, module="marketing", by=by, pk=segment_id, right="read")
        export = AudienceExport.objects.create(
            segment=segment, name=segment.name, holdout_percent=holdout_percent,
            seed=secrets.token_hex(8), attribution_days=attribution_days, owner=by,
            team_id=by.team_id,
        )  # fmt: skip
        contacts = (
            visible_to(segment_contacts(segment), user=by, module="contacts")
            .filter(consent_granted_q(channel="email", purpose="marketing"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        members = [
            AudienceExportMember(
                export=export,
                contact_id=pk,
                is_holdout=draw(export.seed, export.pk, pk, "holdout") * 100 < holdout_percent,
            )
            for pk in contacts
        ]
        AudienceExportMember.objects.bulk_create(members, batch_size=2000)
        export.held_out = sum(m.is_holdout for m in members)
        export.exported = len(members) - export.held_out
        export.save(update_fields=["held_out", "exported"])
    return export


def audience_export_get(*, by: User, export_id: int) -> AudienceExport:
    """An export `by` sees; NotFound otherwise."""
    export = (
        visible_to(AudienceExport.objects.all(), user=by, module="marketing")
        .filter(pk=export_id)
        .first()
    )
    if export is None:
        raise NotFound(_("Not found."))
    return export


def audience_export_file(*, by: User, export_id: int, platform: str = "google") -> str:
    """The upload file (CSV text) of the exported, non-holdout contacts: hashed emails and
    phones, one row per contact (several rows when a contact has several addresses)."""
    require(by, "marketing", "export")
    if platform not in FORMATS:
        raise FieldError.one(
            "platform", _("Choose one of: %(choices)s.") % {"choices": "google, meta"}
        )
    export = audience_export_get(by=by, export_id=export_id)
    exposed = AudienceExportMember.objects.filter(export=export, is_holdout=False).values(
        "contact_id"
    )
    points: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"email": [], "phone": []})
    for contact_id, kind, value in (
        ContactPoint.objects.filter(contact_id__in=exposed, kind__in=("email", "phone"))
        .order_by("contact_id", "-is_primary", "id")
        .values_list("contact_id", "kind", "value")
    ):
        points[contact_id][kind].append(value)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FORMATS[platform])
    for contact_id in sorted(points):
        emails = [sha256(e.strip().lower()) for e in points[contact_id]["email"]]
        phones = [
            sha256(p if platform == "google" else p.lstrip("+"))
            for p in points[contact_id]["phone"]
        ]
        for index in range(max(len(emails), len(phones))):
            writer.writerow(
                [
                    emails[index] if index < len(emails) else "",
                    phones[index] if index < len(phones) else "",
                ]
            )
    return out.getvalue()
