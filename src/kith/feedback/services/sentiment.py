"""Scoring customer texts: on arrival (event handlers) and in bulk (`kith sentiment rescore`).

Sources (feedback may read engagement and customers, layer 4 and 3): inbound emails and
interactions (notes, calls, chat) — `engagement.interaction` rows written by the customer or
about them — and texts other apps expose through kith.engagement.texts (a ticket's customer
replies, "service.ticketevent", named in the ticket.customer_replied payload). Outbound emails
are our own words and are not scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from kith.core.events import event_record
from kith.core.models import DomainEvent
from kith.engagement.models import Interaction
from kith.engagement.texts import CustomerText, customer_texts_read
from kith.feedback.models import RescoreRun, TextSentiment

if TYPE_CHECKING:  # the scoring package loads NumPy: imported when a text is scored
    from kith.feedback.sentiment import Sentiment

INTERACTION = "engagement.interaction"
TICKET_REPLY = "service.ticketevent"
TEXT_LIMIT = 5000  # characters scored: the opening of a long email carries its tone
BATCH = 500


def _text_of(interaction: Interaction) -> str:
    return " ".join(p for p in (interaction.subject, interaction.body[:TEXT_LIMIT]) if p).strip()


def _source(interaction: Interaction) -> CustomerText:
    return CustomerText(
        model=INTERACTION,
        id=interaction.pk,
        text=_text_of(interaction),
        at=interaction.occurred_at,
        contact_id=interaction.contact_id,
        owner_id=interaction.owner_id,
        team_id=interaction.team_id,
    )


def sentiments_score(texts: list[str]) -> list[Sentiment]:
    """kith.feedback.sentiment's scorer, loaded on first use (web workers start without it)."""
    from kith.feedback.sentiment import sentiments_score as score

    return score(texts)


def _scored(source: CustomerText, got: Sentiment) -> TextSentiment:
    return TextSentiment(
        source_model=source.model,
        source_id=source.id,
        contact_id=source.contact_id,
        owner_id=source.owner_id,
        team_id=source.team_id,
        language=got.language,
        label=got.label,
        score=got.score,
        drivers=got.drivers,
        model_version=got.model_version,
        text_at=source.at,
        scored_at=timezone.now(),
    )


_FIELDS = ["contact", "owner", "team", "language", "label", "score", "drivers",
           "model_version", "text_at", "scored_at"]  # fmt: skip


def _upsert(rows: list[TextSentiment]) -> None:
    TextSentiment.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["source_model", "source_id"],
        update_fields=_FIELDS,
    )


@transaction.atomic
def text_sentiment_score(*, source: CustomerText) -> TextSentiment | None:
    """Score one customer text and record `sentiment.scored` in the same transaction.

    Idempotent: one row per source text, rewritten when scored again. None for an empty text.
    """
    text = source.text[:TEXT_LIMIT].strip()
    if not text:
        return None
    _upsert([_scored(source, sentiments_score([text])[0])])
    saved = TextSentiment.objects.get(source_model=source.model, source_id=source.id)
    event_record(
        name="sentiment.scored",
        record=saved,
        payload={"label": saved.label, "score": saved.score, "source_model": source.model,
                 "source_id": source.id, "contact_id": source.contact_id},
    )  # fmt: skip
    return saved


def interaction_sentiment_score(*, interaction_id: int) -> TextSentiment | None:
    """Score one interaction's text (see text_sentiment_score); None for outbound ones and
    for an interaction that no longer exists."""
    interaction = Interaction.objects.filter(pk=interaction_id).first()
    if interaction is None or interaction.direction == Interaction.Direction.OUT:
        return None
    return text_sentiment_score(source=_source(interaction))


def interaction_event_handle(event: DomainEvent) -> None:
    """Handler of email.received and interaction.logged: score the interaction's text."""
    if event.model == INTERACTION and event.object_id:
        interaction_sentiment_score(interaction_id=event.object_id)


def ticket_reply_event_handle(event: DomainEvent) -> None:
    """Handler of ticket.customer_replied: score the reply its payload names."""
    reply_id = (event.payload or {}).get("ticket_event_id")
    if not reply_id:
        return
    for source in customer_texts_read(model="service.ticketevent", ids=[int(reply_id)]):
        text_sentiment_score(source=source)


@dataclass
class RescoreProgress:
    done: int
    total: int


def _run_for(source_model: str, restart: bool) -> RescoreRun:
    from kith.feedback.sentiment import model_for

    version = ",".join(model_for(lang).version for lang in ("en", "zh", "vi"))
    run = (
        RescoreRun.objects.filter(source_model=source_model, finished_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    if run is None or restart:
        run = RescoreRun.objects.create(source_model=source_model, model_version=version)
    return run


def _rescore_loop(
    run: RescoreRun,
    chunk_after: Callable[[int, int], tuple[list[CustomerText], int | None]],
    *,
    batch: int,
    limit: int | None,
    progress: Callable[[RescoreProgress], Any] | None,
) -> RescoreRun:
    """Score `chunk_after(cursor, size)` -> (texts, new cursor or None when done) batch by batch,
    each batch's scores and the run's cursor in one transaction (so a stopped run resumes)."""
    handled = 0
    while limit is None or handled < limit:
        size = batch if limit is None else min(batch, limit - handled)
        sources, cursor = chunk_after(run.cursor, size)
        if cursor is None:
            run.finished_at = timezone.now()
            run.save(update_fields=["finished_at"])
            break
        keep = [s for s in sources if s.text.strip()]
        scored = sentiments_score([s.text[:TEXT_LIMIT].strip() for s in keep]) if keep else []
        with transaction.atomic():
            _upsert([_scored(s, got) for s, got in zip(keep, scored, strict=True)])
            run.done += len(sources)
            run.cursor = cursor
            run.save(update_fields=["cursor", "done"])
            event_record(
                name="sentiment.rescored",
                record=run,
                payload={"done": run.done, "total": run.total, "source_model": run.source_model},
            )
        handled += len(sources)
        if progress is not None:
            progress(RescoreProgress(run.done, run.total))
    return run


def sentiments_rescore(
    *,
    batch: int = BATCH,
    restart: bool = False,
    progress: Callable[[RescoreProgress], Any] | None = None,
    limit: int | None = None,
) -> RescoreRun:
    """Rescore every inbound interaction with the shipped models, `batch` texts a transaction.

    Resumable: the run keeps a cursor (the last interaction id done) that each batch advances
    in the same transaction as its scores, so a run stopped anywhere goes on from there; a
    finished run, or `restart`, starts a new one. `limit` stops after that many texts (tests,
    a slice of a large history). One `sentiment.rescored` event per batch, not one per text.
    Ticket replies: ticket_replies_rescore (`kith sentiment rescore` runs both).
    """
    run = _run_for(INTERACTION, restart)
    todo = Interaction.objects.exclude(direction=Interaction.Direction.OUT)
    run.total = run.done + todo.filter(pk__gt=run.cursor).count()
    run.save(update_fields=["total"])

    def chunk_after(cursor: int, size: int) -> tuple[list[CustomerText], int | None]:
        chunk = list(
            todo.filter(pk__gt=cursor)
            .order_by("pk")
            .only("id", "subject", "body", "contact_id", "owner_id", "team_id", "occurred_at")[
                :size
            ]
        )
        return [_source(i) for i in chunk], (chunk[-1].pk if chunk else None)

    return _rescore_loop(run, chunk_after, batch=batch, limit=limit, progress=progress)


def _ticket_reply_ids(after: int) -> list[int]:
    """Every customer reply on a ticket that feedback knows of, by id above `after`: those
    scored before (their sentiment rows) and those named by a ticket.customer_replied event
    still kept (kith.core.events prunes old ones). Service is a sibling layer: feedback reads
    its texts only by id, through kith.engagement.texts."""
    scored = TextSentiment.objects.filter(source_model=TICKET_REPLY, source_id__gt=after)
    ids = set(scored.values_list("source_id", flat=True))
    named = DomainEvent.objects.filter(name="ticket.customer_replied").values_list(
        "payload__ticket_event_id", flat=True
    )
    ids.update(int(i) for i in named if isinstance(i, int) and i > after)
    return sorted(ids)


def ticket_replies_rescore(
    *,
    batch: int = BATCH,
    restart: bool = False,
    progress: Callable[[RescoreProgress], Any] | None = None,
    limit: int | None = None,
) -> RescoreRun:
    """Rescore the customers' replies on tickets (see _ticket_reply_ids), resumable like
    sentiments_rescore; a reply deleted since is counted as done and left out."""
    run = _run_for(TICKET_REPLY, restart)
    pending = _ticket_reply_ids(run.cursor)
    run.total = run.done + len(pending)
    run.save(update_fields=["total"])
    position = {"next": 0}

    def chunk_after(cursor: int, size: int) -> tuple[list[CustomerText], int | None]:
        ids = pending[position["next"] : position["next"] + size]
        position["next"] += len(ids)
        if not ids:
            return [], None
        found = {t.id: t for t in customer_texts_read(model=TICKET_REPLY, ids=ids)}
        # Placeholders keep the count per id; an empty text is not scored.
        sources = [
            found.get(i) or CustomerText(TICKET_REPLY, i, "", timezone.now(), None, None, None)
            for i in ids
        ]
        return sources, ids[-1]

    return _rescore_loop(run, chunk_after, batch=batch, limit=limit, progress=progress)
