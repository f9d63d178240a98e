"""Closing the loop: one follow-up task for the record's owner per poor answer or strongly
negative customer text, due KITH_FEEDBACK_FOLLOW_UP_HOURS hours later."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.customers.models import Contact
from kith.engagement.models import Task
from kith.engagement.services.tasks import task_create
from kith.feedback import scores
from kith.feedback.models import FollowUp, SurveyResponse
from kith.identity.models import User

NEGATIVE_MIN_SCORE = 0.8  # a "negative" sentiment this confident opens a follow-up


def _due(now: datetime) -> datetime:
    return now + timedelta(hours=int(getattr(settings, "KITH_FEEDBACK_FOLLOW_UP_HOURS", 24)))


def _open(
    *, key: str, reason: str, owner: User, contact: Contact | None, title: str,
    description: str, response: SurveyResponse | None, now: datetime,
) -> FollowUp | None:  # fmt: skip
    if FollowUp.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                key=key, reason=reason, response=response, contact=contact, owner=owner,
                team_id=owner.team_id, created_at=now, due_at=_due(now),
            )  # fmt: skip
            follow_up.task = task_create(
                by=owner, title=title[:200], description=description, due_at=follow_up.due_at,
                priority=Task.Priority.HIGH, contact=contact,
            )  # fmt: skip
            follow_up.save(update_fields=["task"])
    except IntegrityError:  # opened meanwhile by another delivery
        return None
    return follow_up


def follow_up_for_response(*, response_id: int, now: datetime | None = None) -> FollowUp | None:
    """The follow-up of a detractor (NPS ≤ 6), low CSAT (≤ 2) or high effort (CES ≤ 2) answer,
    for the contact's owner (anonymous: the survey's); made once per response, None otherwise."""
    now = now or timezone.now()
    response = (
        SurveyResponse.objects.select_related("contact", "owner", "survey")
        .filter(pk=response_id)
        .first()
    )
    if response is None or response.kind not in scores.SCALES:
        return None
    reason = scores.needs_follow_up(response.kind, response.score)
    if not reason or not response.owner.is_active:
        return None
    who = response.contact.full_name if response.contact else _("an anonymous customer")
    title = _("Follow up: %(kind)s %(score)d from %(who)s") % {
        "kind": response.kind.upper(), "score": response.score, "who": who,
    }  # fmt: skip
    return _open(
        key=f"response:{response.pk}", reason=reason, owner=response.owner,
        contact=response.contact, title=title, description=response.comment,
        response=response, now=now,
    )  # fmt: skip


def follow_up_for_sentiment(
    *, record_model: str, record_id: int | None, contact_id: int | None, label: str,
    score: float, source: str, now: datetime | None = None,
) -> FollowUp | None:  # fmt: skip
    """The follow-up of a strongly negative customer text (label "negative", score ≥ 0.8) for
    the contact's owner; once per scored record (rescoring does not open another)."""
    now = now or timezone.now()
    if label != "negative" or score < NEGATIVE_MIN_SCORE or contact_id is None:
        return None
    contact = Contact.objects.select_related("owner").filter(pk=contact_id).first()
    if contact is None or not contact.owner.is_active:
        return None
    title = _("Follow up: a strongly negative message from %(who)s") % {"who": contact.full_name}
    description = _("Sentiment %(score).0f%% negative (%(source)s).") % {
        "score": score * 100, "source": source,
    }  # fmt: skip
    return _open(
        key=f"sentiment:{record_model}:{record_id}"[:120], reason=FollowUp.Reason.NEGATIVE_TEXT,
        owner=contact.owner, contact=contact, title=title, description=description,
        response=None, now=now,
    )  # fmt: skip
