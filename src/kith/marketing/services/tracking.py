"""What recipients do with campaign mail: opens, clicks, unsubscribes and the preference centre.

These run from public links, without a signed-in user: the signed token (kith.marketing.tokens)
is the authority, so a bad token is NotFound and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.customers.models import Consent
from kith.customers.services import consent_set
from kith.marketing import tokens
from kith.marketing.models import LANGUAGES, CampaignRecipient, ContactPreference

EMAIL_PURPOSES = ("marketing", "newsletter", "surveys")


def _recipient(recipient_id: int) -> CampaignRecipient:
    recipient = (
        CampaignRecipient.objects.select_related("campaign", "contact")
        .filter(pk=recipient_id)
        .first()
    )
    if recipient is None:
        raise NotFound(_("Not found."))
    return recipient


def recipient_open(*, token: str) -> None:
    """Count the first open of the message behind an open-pixel token; NotFound if tampered."""
    try:
        recipient_id = tokens.open_read(token)
    except tokens.BadToken:
        raise NotFound(_("Not found.")) from None
    CampaignRecipient.objects.filter(pk=recipient_id, opened_at__isnull=True).update(
        opened_at=timezone.now()
    )


def recipient_click(*, token: str) -> str:
    """Count a click (and an open, when the pixel was blocked); return the link's target.
    NotFound for a tampered token: the redirect only ever goes to a URL Kith signed."""
    try:
        recipient_id, url = tokens.click_read(token)
    except tokens.BadToken:
        raise NotFound(_("Not found.")) from None
    now = timezone.now()
    rows = CampaignRecipient.objects.filter(pk=recipient_id)
    rows.filter(clicked_at__isnull=True).update(clicked_at=now)
    rows.filter(opened_at__isnull=True).update(opened_at=now)
    return url


def recipient_from_token(token: str) -> CampaignRecipient:
    """The recipient of an unsubscribe / preference-centre token; NotFound if tampered."""
    try:
        return _recipient(tokens.unsubscribe_read(token))
    except tokens.BadToken:
        raise NotFound(_("Not found.")) from None


def recipient_unsubscribe(*, token: str, source: str = "one-click") -> CampaignRecipient:
    """Withdraw the email consent of the campaign's purpose (kept in the consent history)."""
    recipient = recipient_from_token(token)
    with transaction.atomic():
        consent_set(
            contact=recipient.contact,
            channel=Consent.Channel.EMAIL,
            purpose=recipient.campaign.purpose,
            status=Consent.Status.WITHDRAWN,
            source=f"campaign {recipient.campaign_id} unsubscribe ({source})"[:120],
        )
        CampaignRecipient.objects.filter(pk=recipient.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
    return recipient


def preferences_of(recipient: CampaignRecipient) -> dict[str, object]:
    """The contact's email consents in force per purpose and their chosen language."""
    granted: dict[str, bool] = {}
    for purpose in EMAIL_PURPOSES:
        latest = (
            Consent.objects.filter(contact=recipient.contact, channel="email", purpose=purpose)
            .order_by("-at", "-id")
            .values_list("status", flat=True)
            .first()
        )
        granted[purpose] = latest == Consent.Status.GRANTED
    preference = ContactPreference.objects.filter(contact=recipient.contact).first()
    return {"purposes": granted, "language": preference.language if preference else ""}


def preferences_save(
    *, token: str, purposes: Mapping[str, bool], language: str
) -> CampaignRecipient:
    """Save the preference centre: a consent row for each purpose that changed, the language."""
    recipient = recipient_from_token(token)
    if language and language not in dict(LANGUAGES):
        raise FieldError.one("language", _("Choose a language."))
    current = preferences_of(recipient)["purposes"]
    assert isinstance(current, dict)
    with transaction.atomic():
        for purpose in EMAIL_PURPOSES:
            wanted = bool(purposes.get(purpose))
            if wanted != current[purpose]:
                consent_set(
                    contact=recipient.contact,
                    channel="email",
                    purpose=purpose,
                    status="granted" if wanted else "withdrawn",
                    source=f"preference centre (campaign {recipient.campaign_id})",
                )
        ContactPreference.objects.update_or_create(
            contact=recipient.contact, defaults={"language": language}
        )
        if not purposes.get(recipient.campaign.purpose):
            CampaignRecipient.objects.filter(
                Q(pk=recipient.pk), Q(unsubscribed_at__isnull=True)
            ).update(unsubscribed_at=timezone.now())
    return recipient
