"""Sending surveys: a request per recipient, the email whose first question is answered with
one click per score, and the public link and QR code for visits."""

from __future__ import annotations

import io
from datetime import datetime
from html import escape

import segno
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.customers.models import Contact
from kith.engagement.services.about import contact_visible
from kith.feedback.models import Question, Survey, SurveyRequest
from kith.feedback.services.responses import public_token_make, request_token_make
from kith.feedback.services.surveys import LANGUAGE_CODES, RANGES, text_for
from kith.identity.access import require, visible_to
from kith.identity.models import User


def survey_request_open(
    *, survey: Survey, contact: Contact, channel: str = SurveyRequest.Channel.EMAIL,
    language: str = "", source_model: str = "", source_id: int | None = None,
    agent_id: int | None = None, team_id: int | None = None,
) -> tuple[SurveyRequest, bool]:  # fmt: skip
    """The request of `survey` for `contact` about a source record, made once (a second call for
    the same survey and source returns the first); whether it was made now."""
    if source_id is not None:
        found = SurveyRequest.objects.filter(
            survey=survey, source_model=source_model, source_id=source_id
        ).first()
        if found is not None:
            return found, False
    lang = language if language in LANGUAGE_CODES else survey.default_language
    try:
        with transaction.atomic():
            request = SurveyRequest.objects.create(
                survey=survey, contact=contact, channel=channel, language=lang,
                source_model=source_model, source_id=source_id, agent_id=agent_id,
                team_id=team_id if team_id is not None else contact.team_id,
                owner_id=contact.owner_id,
            )  # fmt: skip
    except IntegrityError:  # made meanwhile by another delivery of the same event
        return SurveyRequest.objects.get(
            survey=survey, source_model=source_model, source_id=source_id
        ), False
    return request, True


def request_url(request: SurveyRequest, *, answer: str | int | None = None) -> str:
    """The absolute address of a request's survey page (with a first answer, when given)."""
    url = settings.KITH_BASE_URL + reverse(
        "survey-answer", args=[request_token_make(request_id=request.pk)]
    )
    return url if answer is None else f"{url}?a={answer}"


def _first_choices(question: Question, language: str, fallback: str) -> list[tuple[str, str]]:
    if question.kind in RANGES:
        low, high = RANGES[question.kind]
        return [(str(n), str(n)) for n in range(low, high + 1)]
    if question.kind == Question.Kind.SINGLE:
        return [(c["key"], text_for(c["texts"], language, fallback)) for c in question.choices]
    return []


def survey_email_send(*, request_id: int, now: datetime | None = None) -> bool:
    """Email a request's survey to its contact, the first question answerable in the email (one
    link per score); once (False when already sent, answered or no address)."""
    request = (
        SurveyRequest.objects.select_related("survey", "contact").filter(pk=request_id).first()
    )
    if request is None or request.sent_at or request.answered_at or request.contact is None:
        return False
    address = request.contact.primary_email
    if not address:
        return False
    survey = request.survey
    first = survey.questions.order_by("position").first()
    if first is None:
        return False
    lang, fallback = request.language, survey.default_language
    with translation.override(lang):
        title = text_for(survey.titles, lang, fallback) or survey.name
        question = text_for(first.texts, lang, fallback)
        options = [
            (label, request_url(request, answer=key))
            for key, label in _first_choices(first, lang, fallback)
        ]
        page = request_url(request)
        subject = title
        text = "\n".join(
            [question, ""]
            + [f"{label}: {url}" for label, url in options]
            + ["", _("Or answer on this page: %(url)s") % {"url": page}]
        )
        links = "".join(
            f'<a href="{escape(url)}" style="display:inline-block;min-width:2em;padding:6px;'
            f"margin:2px;border:1px solid #94a3b8;border-radius:4px;text-align:center;"
            f'text-decoration:none">{escape(label)}</a>'
            for label, url in options
        )
        on_page = _("Answer on the survey page")
        html = (
            f"<p>{escape(question)}</p><p>{links}</p>"
            f'<p><a href="{escape(page)}">{escape(on_page)}</a></p>'
        )
    message = EmailMultiAlternatives(subject=subject, body=text, to=[address])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
    SurveyRequest.objects.filter(pk=request.pk).update(sent_at=now or timezone.now())
    return True


@transaction.atomic
def survey_send(*, by: User, survey_id: int, contact_id: int, language: str = "") -> SurveyRequest:
    """Send a survey to one visible contact by email (the worker mails it)."""
    require(by, "feedback", "create")
    survey = (
        visible_to(Survey.objects.all(), user=by, module="feedback").filter(pk=survey_id).first()
    )
    if survey is None:
        raise NotFound(_("Not found."))
    if not survey.is_active:
        raise FieldError.one("survey_id", _("This survey is closed."))
    contact = contact_visible(by, contact_id)
    assert contact is not None
    if not contact.primary_email:
        raise FieldError.one("contact_id", _("This contact has no email address."))
    request, _made = survey_request_open(survey=survey, contact=contact, language=language)
    request_id = request.pk

    def enqueue() -> None:
        from kith.feedback.tasks import survey_email_send_task

        survey_email_send_task.enqueue(request_id)

    transaction.on_commit(enqueue)
    return request


def survey_public_url(*, survey: Survey, channel: str = SurveyRequest.Channel.LINK) -> str:
    """The absolute public address of a survey (channel "link", or "qr" for a printed code)."""
    token = public_token_make(survey_id=survey.pk, channel=channel)
    return settings.KITH_BASE_URL + reverse("survey-public", args=[token])


def survey_qr_svg(*, survey: Survey) -> str:
    """An SVG QR code of the survey's public address, for visits (answers count as "qr")."""
    out = io.BytesIO()
    segno.make(survey_public_url(survey=survey, channel="qr"), error="m").save(
        out, kind="svg", scale=6, border=2, xmldecl=False
    )
    return out.getvalue().decode()
