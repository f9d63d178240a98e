"""Email template writes: a template and its versions per language, each checked by parsing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.core.validation import text_clean
from kith.customers.models import Contact
from kith.identity.access import require, visible_to
from kith.identity.models import User
from kith.marketing.models import LANGUAGES, EmailTemplate, EmailTemplateVersion
from kith.marketing.sandbox import TemplateError, template_parse, template_render

LANGUAGE_CODES = tuple(code for code, _label in LANGUAGES)


def _versions_clean(versions: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    errors: dict[str, str] = {}
    clean: dict[str, dict[str, str]] = {}
    if not versions:
        errors["versions"] = _("Write the message in at least one language.")
    for language, parts in versions.items():
        where = f"versions.{language}"
        if language not in LANGUAGE_CODES:
            errors[where] = _("Choose one of: %(choices)s.") % {
                "choices": ", ".join(LANGUAGE_CODES)
            }
            continue
        row = {
            "subject": text_clean(
                parts.get("subject"),
                field=f"{where}.subject",
                limit=200,
                errors=errors,
                required=True,
            ),
            "html": text_clean(
                parts.get("html"), field=f"{where}.html", limit=200_000, errors=errors
            ),
            "text": text_clean(
                parts.get("text"),
                field=f"{where}.text",
                limit=100_000,
                errors=errors,
                required=True,
            ),
        }
        for part, source in row.items():
            try:
                template_parse(source)
            except TemplateError as bad:
                errors[f"{where}.{part}"] = str(bad)
        clean[language] = row
    if errors:
        raise FieldError(errors)
    return clean


def template_create(
    *, by: User, name: str, versions: Mapping[str, Mapping[str, Any]]
) -> EmailTemplate:
    """A template with its language versions {"en": {"subject", "html", "text"}, "vi": …}."""
    require(by, "marketing", "create")
    errors: dict[str, str] = {}
    name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    if not errors and EmailTemplate.objects.filter(name=name).exists():
        errors["name"] = _("A template with this name exists.")
    if errors:
        raise FieldError(errors)
    clean = _versions_clean(versions)
    with transaction.atomic():
        template = EmailTemplate.objects.create(name=name)
        EmailTemplateVersion.objects.bulk_create(
            [EmailTemplateVersion(template=template, language=k, **v) for k, v in clean.items()]
        )
    return template


def template_update(
    *, by: User, template_id: int, versions: Mapping[str, Mapping[str, Any]]
) -> EmailTemplate:
    """Replace the given language versions of a template (others stay)."""
    require(by, "marketing", "edit")
    clean = _versions_clean(versions)
    with transaction.atomic():
        template = EmailTemplate.objects.select_for_update().get(pk=template_id)
        for language, parts in clean.items():
            EmailTemplateVersion.objects.update_or_create(
                template=template, language=language, defaults=parts
            )
        template.save(update_fields=["updated_at"])
    return template


@dataclass(frozen=True)
class Preview:
    language: str
    subject: str
    html: str
    text: str


def template_preview(
    *, by: User, template_id: int, contact_id: int, language: str | None = None
) -> Preview:
    """The template rendered for one contact `by` sees, in the contact's language (or
    `language`), as the contact would get it (links shown untracked)."""
    from kith.marketing.personalisation import contexts_for

    require(by, "marketing", "read")
    contact = (
        visible_to(Contact.objects.all(), user=by, module="contacts").filter(pk=contact_id).first()
    )
    if contact is None:
        raise NotFound(_("Not found."))
    template = EmailTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("Not found."))
    context = contexts_for([contact.pk])[contact.pk]
    versions = {v.language: v for v in template.versions.all()}
    wanted = language or str(context["language"])
    version = versions.get(wanted) or versions.get("en") or next(iter(versions.values()))
    link = settings.KITH_BASE_URL + "/"
    context = {**context, "unsubscribe_url": link, "preferences_url": link}
    return Preview(
        language=version.language,
        subject=template_render(version.subject, context).strip(),
        html=template_render(version.html, context, html=True) if version.html else "",
        text=template_render(version.text, context),
    )


def template_test_send(*, by: User, template_id: int, contact_id: int, to: str) -> Preview:
    """Send the preview for a contact to `to` (the marketer's own address), marked as a test."""
    if "@" not in parseaddr(to or "")[1]:
        raise FieldError.one("to", _("Enter an email address."))
    preview = template_preview(by=by, template_id=template_id, contact_id=contact_id)
    message = EmailMultiAlternatives(
        subject=_("[Test] %(subject)s") % {"subject": preview.subject},
        body=preview.text,
        to=[parseaddr(to)[1]],
    )
    if preview.html:
        message.attach_alternative(preview.html, "text/html")
    message.send()
    return preview
