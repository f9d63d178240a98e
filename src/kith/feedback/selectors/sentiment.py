"""The feedback app's reads, already filtered by what the user may see (module "feedback")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.errors import FieldError
from kith.core.pagination import Ordering, Page, paginate
from kith.engagement.models import Interaction
from kith.engagement.timeline import TimelineCursor, TimelineItem
from kith.feedback.models import TextSentiment
from kith.identity.access import require, visible_to
from kith.identity.models import Right, User

if TYPE_CHECKING:  # the scoring package loads NumPy: imported when themes are asked for
    from kith.feedback.sentiment import Sentiment
    from kith.feedback.sentiment.themes import Theme

TEXT_LIMIT = 5000  # characters scored, as on arrival (services.sentiment)
THEME_TEXTS = 2000  # the most recent texts of a period that themes read, per language


def _sentiments(user: User) -> QuerySet[TextSentiment]:
    return visible_to(TextSentiment.objects.all(), user=user, module="feedback")


def sentiments_for_contact(
    *, user: User, contact_id: int, cursor: str | None = None, limit: int = 10
) -> Page[TextSentiment]:
    """A contact's scored texts, newest first (feedback_sent_contact_at)."""
    rows = _sentiments(user).filter(contact_id=contact_id)
    return paginate(rows, ordering=Ordering("text_at", descending=True), cursor=cursor, limit=limit)


def text_sentiment_preview(*, by: User, text: str, language: str = "auto") -> Sentiment:
    """The sentiment of a text given by a user who may read feedback (nothing is stored):
    a FieldError names `language` or `text` when they cannot be scored."""
    from kith.feedback.sentiment import LANGUAGES, sentiment_score

    require(by, "feedback", Right.READ)
    if language != "auto" and language not in LANGUAGES:
        raise FieldError.one("language", _("Choose auto, en, zh or vi."))
    if not text.strip():
        raise FieldError.one("text", _("Give a text to score."))
    return sentiment_score(text[:TEXT_LIMIT], language=language)


_SOURCE_TITLES = {
    "engagement.interaction": gettext_lazy("Sentiment of the customer's message"),
    "service.ticketevent": gettext_lazy("Sentiment of the customer's ticket reply"),
}
_LABEL_NAMES = dict(TextSentiment.Label.choices)


def sentiments_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """A contact's scored texts as timeline items beside the message they score (same time):
    the label, the confidence and the words that drove it (feedback_sent_contact_at)."""
    rows = _sentiments(user).filter(contact_id=contact_id)
    if before is not None:
        rows = rows.filter(before.q(kind="sentiment", at_field="text_at"))
    items = []
    for r in rows.order_by("-text_at", "-id")[:limit]:
        label = str(_LABEL_NAMES.get(r.label, r.label))
        title = _("%(label)s (%(confidence)d %% confident)") % {
            "label": label.capitalize(), "confidence": round(r.score * 100),
        }  # fmt: skip
        drivers = ", ".join(r.drivers[:5])
        items.append(
            TimelineItem(
                kind="sentiment",
                at=r.text_at,
                key=r.pk,
                title=title,
                summary=_("Driving words: %(words)s") % {"words": drivers} if drivers else "",
                icon="sentiment",
                data={
                    "details": str(_SOURCE_TITLES.get(r.source_model, _("Sentiment"))),
                    "label": r.label,
                    "score": r.score,
                    "drivers": r.drivers,
                    "language": r.language,
                    "source_model": r.source_model,
                    "source_id": r.source_id,
                },
            )
        )
    return items


def sentiments_list(
    *,
    user: User,
    contact_id: int | None = None,
    source_model: str = "",
    source_id: int | None = None,
    label: str = "",
    cursor: str | None = None,
    limit: int = 25,
) -> Page[TextSentiment]:
    """Scored texts the user may see, newest first, optionally of one contact, one source
    ("engagement.interaction", "service.ticketevent") or one record of a source, one label."""
    rows = _sentiments(user)
    if contact_id is not None:
        rows = rows.filter(contact_id=contact_id)
    if source_model:
        rows = rows.filter(source_model=source_model)
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    if label:
        rows = rows.filter(label=label)
    return paginate(rows, ordering=Ordering("text_at", descending=True), cursor=cursor, limit=limit)


@dataclass
class LanguageThemes:
    language: str
    counts: dict[str, int]  # label -> texts in the period
    negative: list[Theme] = field(default_factory=list)
    positive: list[Theme] = field(default_factory=list)


def sentiment_themes(
    *, user: User, since: dt.datetime, until: dt.datetime, top: int = 10
) -> list[LanguageThemes]:
    """Per language, the recurring phrases of the negative and the positive texts written in
    [since, until), with counts and examples (the latest THEME_TEXTS texts of each language)."""
    from kith.feedback.sentiment.themes import themes_find

    period = _sentiments(user).filter(text_at__gte=since, text_at__lt=until)
    totals: dict[str, dict[str, int]] = {}
    for row in period.values("language", "label").annotate(n=Count("id")).order_by():
        totals.setdefault(row["language"], {})[row["label"]] = row["n"]
    out = []
    for language in sorted(totals):
        latest = list(
            period.filter(language=language, source_model="engagement.interaction")
            .order_by("-text_at")
            .values_list("source_id", "label")[:THEME_TEXTS]
        )
        bodies = dict(
            Interaction.objects.filter(pk__in=[pk for pk, _ in latest]).values_list("pk", "body")
        )
        by_label: dict[str, list[str]] = {"negative": [], "positive": [], "neutral": []}
        for pk, label in latest:
            if bodies.get(pk):
                by_label[label].append(bodies[pk])
        neg, pos = by_label["negative"], by_label["positive"]
        out.append(
            LanguageThemes(
                language=language,
                counts=totals[language],
                negative=themes_find(neg, pos + by_label["neutral"], language=language, top=top),
                positive=themes_find(pos, neg + by_label["neutral"], language=language, top=top),
            )
        )
    return out
