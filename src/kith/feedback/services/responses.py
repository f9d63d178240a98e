"""Answering: signed links (per recipient, public, and the service desk's old CSAT links), the
answers checked against the questions and their skip logic, stored once per request.

A per-recipient request answers ONCE: its row is locked and `answered_at` set in the same
transaction as the response. The first question may be answered alone (a score clicked in
the email, `partial=True`); the page then finishes that same response through a short-lived
response token, which adds the remaining answers once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.core.public_forms import public_form_guard
from kith.customers.models import Contact
from kith.feedback.models import Question, Survey, SurveyAnswer, SurveyRequest, SurveyResponse
from kith.feedback.services.surveys import RANGES

REQUEST_SALT = "kith.feedback.request"
PUBLIC_SALT = "kith.feedback.public"
RESPONSE_SALT = "kith.feedback.response"
# Links the service desk mailed before its CSAT moved here: {"t": ticket_id}.
LEGACY_CSAT_SALT = "kith.service.csat"
LEGACY_SOURCE = "service.ticket"


def _read(token: str, *, salt: str, days: float) -> Any:
    try:
        return signing.loads(token, salt=salt, max_age=timedelta(days=days))
    except signing.SignatureExpired as exc:
        raise FieldError.one("token", _("This survey link has expired.")) from exc
    except signing.BadSignature as exc:
        raise FieldError.one("token", _("This survey link is not valid.")) from exc


def _link_days() -> int:
    return int(getattr(settings, "KITH_FEEDBACK_LINK_DAYS", 30))


def request_token_make(*, request_id: int) -> str:
    """The signed token of one recipient's request; valid KITH_FEEDBACK_LINK_DAYS days."""
    return signing.dumps({"r": request_id}, salt=REQUEST_SALT, compress=True)


def request_for_token(*, token: str) -> SurveyRequest:
    """The request a token names (a feedback token, or an old service-desk CSAT token);
    FieldError on "token" when tampered with, expired or unknown."""
    payload: Any = None
    try:
        payload = _read(token, salt=REQUEST_SALT, days=_link_days())
    except FieldError as not_ours:
        try:
            legacy = _read(
                token, salt=LEGACY_CSAT_SALT, days=getattr(settings, "KITH_SERVICE_CSAT_DAYS", 14)
            )
        except FieldError:
            raise not_ours from None
        if isinstance(legacy, dict) and isinstance(legacy.get("t"), int):
            found = (
                SurveyRequest.objects.filter(source_model=LEGACY_SOURCE, source_id=legacy["t"])
                .order_by("pk")
                .first()
            )
            if found is not None:
                return found
        raise FieldError.one("token", _("This survey link is not valid.")) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        raise FieldError.one("token", _("This survey link is not valid."))
    found = SurveyRequest.objects.filter(pk=payload["r"]).first()
    if found is None:
        raise FieldError.one("token", _("This survey link is not valid."))
    return found


def public_token_make(*, survey_id: int, channel: str = SurveyRequest.Channel.LINK) -> str:
    """The signed token of a survey's public link ("link") or QR code ("qr"); no expiry."""
    return signing.dumps({"s": survey_id, "c": channel}, salt=PUBLIC_SALT)


def survey_for_public_token(*, token: str) -> tuple[Survey, str]:
    """The active survey and channel of a public token; FieldError on "token" otherwise."""
    payload = _read(token, salt=PUBLIC_SALT, days=365 * 100)
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise FieldError.one("token", _("This survey link is not valid."))
    survey = Survey.objects.filter(pk=payload["s"], is_active=True).first()
    channel = str(payload.get("c") or SurveyRequest.Channel.LINK)
    if survey is None or channel not in SurveyRequest.Channel.values:
        raise FieldError.one("token", _("This survey is closed."))
    return survey, channel


def response_token_make(*, response_id: int) -> str:
    """A token to finish a response begun in the email (valid a day)."""
    return signing.dumps({"p": response_id}, salt=RESPONSE_SALT)


# --- answers ---------------------------------------------------------------------------------


@dataclass
class CleanAnswers:
    rows: list[SurveyAnswer]
    score: int | None
    comment: str
    kind: str = ""  # the scale of `score` (nps, csat, ces), "" without one


def _position(key: Any) -> int | None:
    text = str(key).removeprefix("q")
    return int(text) if text.isdigit() else None


def _shown(question: Question, given: dict[int, SurveyAnswer]) -> bool:
    rule = question.show_if or {}
    if not rule:
        return True
    earlier = given.get(int(rule.get("question", 0)))
    if earlier is None:
        return False
    if "choices" in rule:
        return bool(set(rule["choices"]) & set(earlier.choices))
    if earlier.number is None:
        return False
    low, high = rule.get("min"), rule.get("max")
    return (low is None or earlier.number >= low) and (high is None or earlier.number <= high)


def _answer_clean(
    question: Question, raw: Any, field: str, errors: dict[str, str]
) -> SurveyAnswer | None:
    answer = SurveyAnswer(question=question)
    if question.kind in RANGES:
        low, high = RANGES[question.kind]
        text = str(raw).strip()
        if not (text.isdigit() and low <= int(text) <= high):
            errors[field] = _("Choose a score from %(low)d to %(high)d.") % {
                "low": low,
                "high": high,
            }
            return None
        answer.number = int(text)
    elif question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        picked = [str(v) for v in (raw if isinstance(raw, list | tuple) else [raw]) if str(v)]
        keys = {c["key"] for c in question.choices}
        if not picked:
            return None
        if not set(picked) <= keys or (question.kind == Question.Kind.SINGLE and len(picked) > 1):
            errors[field] = _("Choose one of the options.")
            return None
        answer.choices = picked
    else:
        text = str(raw or "").strip()
        if len(text) > 2000:
            errors[field] = _("Use at most %(n)d characters.") % {"n": 2000}
            return None
        if not text:
            return None
        answer.text = text
    return answer


def answers_clean(
    questions: list[Question], answers: Mapping[Any, Any], *, partial: bool = False,
    already: dict[int, SurveyAnswer] | None = None,
) -> CleanAnswers:  # fmt: skip
    """Answers keyed by question position (1 or "q1") checked against the questions in order:
    skipped questions' answers are dropped; a shown required question must be answered unless
    `partial`. FieldError keyed "q<position>"."""
    raw = {p: v for k, v in answers.items() if (p := _position(k)) is not None}
    errors: dict[str, str] = {}
    given: dict[int, SurveyAnswer] = dict(already or {})
    rows: list[SurveyAnswer] = []
    for question in questions:
        if question.position in given or not _shown(question, given):
            continue
        field = f"q{question.position}"
        value = raw.get(question.position)
        answer = None if value in (None, "", []) else _answer_clean(question, value, field, errors)
        if answer is None:
            if question.required and not partial and field not in errors:
                errors[field] = _("Answer this question.")
            continue
        given[question.position] = answer
        rows.append(answer)
    if not rows and not errors and not already:
        errors["__all__"] = _("Answer at least one question.")
    if errors:
        raise FieldError(errors)
    scored = [a for a in sorted(given.values(), key=lambda a: a.question.position)
              if a.question.kind in (Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES)]  # fmt: skip
    texts = [a for a in sorted(given.values(), key=lambda a: a.question.position) if a.text]
    return CleanAnswers(
        rows=rows,
        score=scored[0].number if scored else None,
        comment=texts[0].text[:2000] if texts else "",
        kind=scored[0].question.kind if scored else "",
    )


def _questions(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position"))


def _response_create(
    *, survey: Survey, request: SurveyRequest | None, channel: str, language: str,
    clean: CleanAnswers, now: datetime, partial: bool,
) -> SurveyResponse:  # fmt: skip
    contact: Contact | None = None
    if request is not None and request.contact_id is not None and not survey.is_anonymous:
        contact = Contact.objects.filter(pk=request.contact_id).first()
    owner_id, team_id = (
        (contact.owner_id, contact.team_id) if contact else (survey.owner_id, survey.team_id)
    )
    keep = request is not None and not survey.is_anonymous
    response = SurveyResponse.objects.create(
        survey=survey,
        request=request if keep else None,
        contact=contact,
        company_id=contact.company_id if contact else None,
        agent_id=request.agent_id if keep and request else None,
        owner_id=owner_id,
        team_id=(request.team_id or team_id) if keep and request else team_id,
        channel=channel,
        language=language,
        kind=clean.kind or survey.kind,
        score=clean.score,
        comment=clean.comment,
        source_model=request.source_model if keep and request else "",
        source_id=request.source_id if keep and request else None,
        submitted_at=now,
        completed_at=None if partial else now,
    )
    for row in clean.rows:
        row.response = response
    SurveyAnswer.objects.bulk_create(clean.rows)
    event_record(
        name="survey.answered",
        record=response,
        payload={
            "survey_id": survey.pk, "kind": response.kind, "score": clean.score,
            "contact_id": response.contact_id, "source_model": response.source_model,
            "source_id": response.source_id,
        },
    )  # fmt: skip
    return response


@transaction.atomic
def survey_answer(
    *, token: str, answers: Mapping[Any, Any], partial: bool = False, now: datetime | None = None
) -> SurveyResponse:
    """Answer the survey of a recipient's signed link, once. `partial`: only the answers given
    (the score clicked in the email); the rest may follow with `survey_answer_finish`."""
    now = now or timezone.now()
    found = request_for_token(token=token)
    request = SurveyRequest.objects.select_for_update().get(pk=found.pk)
    if request.answered_at is not None:
        raise FieldError.one("token", _("This survey has already been answered. Thank you!"))
    survey = request.survey
    if not survey.is_active:
        raise FieldError.one("token", _("This survey is closed."))
    clean = answers_clean(_questions(survey), answers, partial=partial)
    request.answered_at = now
    request.save(update_fields=["answered_at"])
    return _response_create(
        survey=survey, request=request, channel=request.channel, language=request.language,
        clean=clean, now=now, partial=partial,
    )  # fmt: skip


@transaction.atomic
def survey_answer_finish(
    *, response_token: str, answers: Mapping[Any, Any], now: datetime | None = None
) -> SurveyResponse:
    """Add the remaining answers to a response begun in the email; only once."""
    now = now or timezone.now()
    payload = _read(response_token, salt=RESPONSE_SALT, days=1)
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int):
        raise FieldError.one("token", _("This survey link is not valid."))
    response = SurveyResponse.objects.select_for_update().filter(pk=payload["p"]).first()
    if response is None:
        raise FieldError.one("token", _("This survey link is not valid."))
    if response.completed_at is not None:
        raise FieldError.one("token", _("This survey has already been answered. Thank you!"))
    given = {a.question.position: a for a in response.answers.select_related("question")}
    clean = answers_clean(_questions(response.survey), answers, already=given)
    for row in clean.rows:
        row.response = response
    SurveyAnswer.objects.bulk_create(clean.rows)
    response.comment = clean.comment
    response.completed_at = now
    response.save(update_fields=["comment", "completed_at"])
    return response


@transaction.atomic
def survey_answer_public(
    *, token: str, answers: Mapping[Any, Any], request_address: str, honeypot: object = "",
    language: str = "", now: datetime | None = None,
) -> SurveyResponse | None:  # fmt: skip
    """Answer a survey's public link or QR code: a response naming no one, rate-limited per
    address (KITH_FEEDBACK_PUBLIC_RATE per hour). None: a bot filled the honeypot."""
    now = now or timezone.now()
    survey, channel = survey_for_public_token(token=token)
    taken = public_form_guard(
        form=f"survey:{survey.pk}", request_address=request_address, honeypot=honeypot,
        rate=int(getattr(settings, "KITH_FEEDBACK_PUBLIC_RATE", 20)), window=3600, now=now,
    )  # fmt: skip
    if not taken:
        return None
    clean = answers_clean(_questions(survey), answers)
    codes = {code for code, _name in settings.LANGUAGES}
    return _response_create(
        survey=survey, request=None, channel=channel,
        language=language if language in codes else survey.default_language,
        clean=clean, now=now, partial=False,
    )  # fmt: skip
