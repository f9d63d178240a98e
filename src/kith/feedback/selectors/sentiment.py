"""The feedback app's reads, already filtered by what the user may see (module "feedback")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from kith.core.pagination import Ordering, Page, paginate
from kith.engagement.models import Interaction
from kith.feedback.models import TextSentiment
from kith.identity.access import visible_to
from kith.identity.models import User

if TYPE_CHECKING:  # the scoring package loads NumPy: imported when themes are asked for
    from kith.feedback.sentiment.themes import Theme

THEME_TEXTS = 2000  # the most recent texts of a period that themes read, per language


def _sentiments(user: User) -> QuerySet[TextSentiment]:
    return visible_to(TextSentiment.objects.all(), user=user, module="feedback")


def sentiments_for_contact(
    *, user: User, contact_id: int, cursor: str | None = None, limit: int = 10
) -> Page[TextSentiment]:
    """A contact's scored texts, newest first (feedback_sent_contact_at)."""
    rows = _sentiments(user).filter(contact_id=contact_id)
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
