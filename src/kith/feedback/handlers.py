"""Domain-event handlers of feedback (registered in FeedbackConfig.ready). Delivery is at least
once: each handler writes through a service keyed on the source record (one request per survey
and source, one follow-up per response or scored text), so a repeat changes nothing."""

from __future__ import annotations

from kith.core.models import DomainEvent
from kith.engagement.models import Interaction
from kith.feedback import services
from kith.feedback.models import Survey, SurveyResponse


def _contact_of(model: str, object_id: int) -> int | None:
    """The contact a scored record is about, for the records of this layer and below."""
    if model == "customers.contact":
        return object_id
    contact_id: int | None
    if model == "engagement.interaction":
        contact_id = (
            Interaction.objects.filter(pk=object_id).values_list("contact_id", flat=True).first()
        )
    elif model == "feedback.surveyresponse":
        contact_id = (
            SurveyResponse.objects.filter(pk=object_id).values_list("contact_id", flat=True).first()
        )
    else:
        return None
    return int(contact_id) if contact_id is not None else None


def ticket_resolved_handle(event: DomainEvent) -> None:
    """A resolved ticket sends the CSAT survey, credited to its agent and team."""
    if event.object_id is None:
        return
    payload = event.payload or {}
    services.surveys_for_source(
        trigger=Survey.Trigger.TICKET_RESOLVED, contact_id=payload.get("contact_id"),
        source_model=event.model, source_id=event.object_id,
        agent_id=payload.get("owner_id"), team_id=payload.get("team_id"),
    )  # fmt: skip


def order_created_handle(event: DomainEvent) -> None:
    """An order sends the surveys set to follow orders."""
    if event.object_id is None:
        return
    services.surveys_for_source(
        trigger=Survey.Trigger.ORDER_CREATED, contact_id=(event.payload or {}).get("contact_id"),
        source_model=event.model, source_id=event.object_id,
    )  # fmt: skip


def interaction_logged_handle(event: DomainEvent) -> None:
    """A logged meeting sends the surveys set to follow meetings."""
    payload = event.payload or {}
    if payload.get("kind") != "meeting" or event.object_id is None:
        return
    services.surveys_for_source(
        trigger=Survey.Trigger.MEETING, contact_id=payload.get("contact_id"),
        source_model=event.model, source_id=event.object_id, agent_id=event.actor_id,
    )  # fmt: skip


def survey_answered_handle(event: DomainEvent) -> None:
    """A detractor, low CSAT or high-effort answer opens one follow-up task."""
    if event.object_id is not None:
        services.follow_up_for_response(response_id=event.object_id)


def sentiment_scored_handle(event: DomainEvent) -> None:
    """A strongly negative customer text ({label, score, source, contact_id}) opens one
    follow-up task for the contact's owner; without contact_id, the contact of the scored
    record (a contact, interaction or survey answer)."""
    payload = event.payload or {}
    contact_id = payload.get("contact_id")
    if contact_id is None and event.object_id is not None:
        contact_id = _contact_of(event.model, event.object_id)
    try:
        score = float(payload.get("score") or 0)
    except (TypeError, ValueError):
        return
    services.follow_up_for_sentiment(
        record_model=event.model, record_id=event.object_id, contact_id=contact_id,
        label=str(payload.get("label") or ""), score=score, source=str(payload.get("source") or ""),
    )  # fmt: skip
