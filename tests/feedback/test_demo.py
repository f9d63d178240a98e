"""The feedback demo: the desk's CSAT as survey answers, NPS/CES/custom answers in three
languages with mixed scores, unanswered requests, follow-ups some of which are done."""

from __future__ import annotations

import pytest

from kith.demo import demo_load
from kith.demo.feedback import COMMENTS
from kith.feedback.models import FollowUp, SurveyRequest, SurveyResponse
from kith.service.models import Ticket


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_load(size="tiny")


def test_feedback_demo(demo):
    answered = SurveyResponse.objects
    assert demo.more["survey_answers"] == answered.count() > 120 * 0.5
    csat = answered.filter(kind="csat", source_model="service.ticket")
    assert csat.count() == Ticket.objects.filter(csat_score__isnull=False).count() > 0
    assert set(answered.values_list("language", flat=True)) == {"en", "zh-hans", "vi"}
    assert set(answered.values_list("kind", flat=True)) == {"csat", "nps", "ces", "custom"}
    nps = list(answered.filter(kind="nps").values_list("score", flat=True))
    assert min(nps) <= 6 and max(nps) >= 9  # detractors and promoters
    for lang in ("en", "zh-hans", "vi"):  # mixed sentiment in every language
        for mood in ("positive", "negative"):
            assert answered.filter(language=lang, comment__in=COMMENTS[lang][mood]).exists()
    assert SurveyRequest.objects.filter(answered_at__isnull=True).exists()
    follow_ups = FollowUp.objects.select_related("task")
    assert 0 < follow_ups.count() == demo.more["follow_ups"] <= 12
    assert {f.task.status for f in follow_ups} == {"open", "done"}


def test_demo_texts_are_scored_in_three_languages_with_mixed_sentiment(demo):
    from kith.demo.feedback import MESSAGES
    from kith.engagement.models import Interaction
    from kith.feedback.models import TextSentiment

    inbound = Interaction.objects.exclude(direction="out")
    assert TextSentiment.objects.count() == inbound.exclude(body="", subject="").count() > 0
    written = dict(
        Interaction.objects.filter(
            body__in=[m for moods in MESSAGES.values() for ms in moods.values() for m in ms]
        ).values_list("pk", "body")
    )
    scored = TextSentiment.objects.filter(source_id__in=written)
    assert set(scored.values_list("language", flat=True)) == {"en", "zh", "vi"}
    for language in ("en", "zh", "vi"):
        labels = set(scored.filter(language=language).values_list("label", flat=True))
        assert {"positive", "negative"} <= labels, (language, labels)
    # Most negative messages read as negative (English, trained on film reviews, misses some),
    # the Chinese and Vietnamese ones with the words that drove them.
    wanted = {m for moods in MESSAGES.values() for m in moods["negative"]}
    negatives = [s for s in scored if written[s.source_id] in wanted]
    assert negatives and sum(s.label == "negative" for s in negatives) >= 0.6 * len(negatives)
    assert all(s.drivers for s in negatives if s.language != "en" and s.label == "negative")
