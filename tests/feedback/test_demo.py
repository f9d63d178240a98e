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
