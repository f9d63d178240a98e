"""The score report on hand-built answers: NPS over a period with the previous period's for the
trend, per month, team, agent and channel; response rates; visibility by role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kith.core.errors import FieldError, Forbidden
from kith.feedback import selectors, services
from kith.feedback.models import SurveyRequest, SurveyResponse
from tests.feedback.factories import answer_as, make_survey

NOV = datetime(2026, 11, 1, tzinfo=UTC)


def _at(response: SurveyResponse, when: datetime) -> None:
    SurveyResponse.objects.filter(pk=response.pk).update(submitted_at=when)


@pytest.fixture
def answered(users, records):
    """NPS answers: November team A 10, 9, 3 (agent rep_a) and team B 8 (qr); October team A 2."""
    survey = make_survey(by=users.admin, kind="nps")
    a, b = records.contact_a, records.contact_b
    rows = [
        (a, 10, NOV + timedelta(days=1), {"agent_id": users.rep_a.pk}),
        (a, 9, NOV + timedelta(days=2), {"agent_id": users.rep_a.pk}),
        (a, 3, NOV + timedelta(days=20), {"agent_id": users.rep_a2.pk}),
        (b, 8, NOV + timedelta(days=3), {"channel": "qr"}),
        (a, 2, NOV - timedelta(days=10), {}),
    ]
    for contact, score, when, kw in rows:
        _at(answer_as(survey=survey, contact=contact, answers={1: score}, **kw), when)
    # Two more requests sent in November, never answered.
    for contact in (a, b):
        request, _made = services.survey_request_open(survey=survey, contact=contact)
        SurveyRequest.objects.filter(pk=request.pk).update(sent_at=NOV + timedelta(days=5))
    SurveyRequest.objects.update(created_at=NOV + timedelta(days=4))
    return survey


def test_nps_report_with_trend_groups_and_response_rate(users, teams, answered) -> None:
    report = selectors.score_report(
        user=users.admin, kind="nps", start=NOV, end=NOV + timedelta(days=30)
    )
    # November: promoters 10, 9; passive 8; detractor 3 → (2 − 1) / 4 = +25.
    assert (report.total.answers, report.total.value) == (4, 25.0)
    assert (report.previous.answers, report.previous.value) == (1, -100.0)
    assert report.trend == 125.0
    assert [(p.period, p.summary.value) for p in report.points] == [("2026-11", 25.0)]
    assert {g.label: (g.summary.answers, g.summary.value) for g in report.by_team} == {
        "Team A": (3, 33.3), "Team B": (1, 0.0),
    }  # fmt: skip
    assert {g.label: g.summary.value for g in report.by_agent} == {"rep_a": 100.0, "rep_a2": -100.0}
    assert {g.label: g.summary.answers for g in report.by_channel} == {
        "Email": 3,
        "QR code (visit)": 1,
    }
    # 7 requests made in November (5 answered, 2 sent and unanswered): 5 / 7.
    assert (report.sent, report.answered, report.response_rate) == (7, 5, 71.4)


def test_weekly_points_and_reps_see_only_their_team(users, answered) -> None:
    weekly = selectors.score_report(
        user=users.admin, kind="nps", start=NOV, end=NOV + timedelta(days=30), period="week"
    )
    # Mondays: 2 Nov (answers of 2, 3 and 4 Nov) and 16 Nov (21 Nov).
    assert [(p.period, p.summary.answers, p.summary.value) for p in weekly.points] == [
        ("2026-11-02", 3, 66.7), ("2026-11-16", 1, -100.0),
    ]  # fmt: skip
    mine = selectors.score_report(
        user=users.rep_b, kind="nps", start=NOV, end=NOV + timedelta(days=30)
    )
    assert (mine.total.answers, mine.total.value, [g.label for g in mine.by_team]) == (
        1,
        0.0,
        ["Team B"],
    )


def test_report_input_is_checked_and_gated(users, answered) -> None:
    from kith.identity.models import Role
    from kith.identity.services import user_create

    with pytest.raises(FieldError) as exc:
        selectors.score_report(user=users.admin, kind="custom", start=NOV, end=NOV + timedelta(1))
    assert set(exc.value.errors) == {"kind"}
    with pytest.raises(FieldError) as exc:
        selectors.score_report(user=users.admin, kind="nps", start=NOV, end=NOV)
    assert set(exc.value.errors) == {"end"}
    Role.objects.create(slug="nobody", name="No rights")
    outsider = user_create(username="outsider", password="x" * 12, role_slug="nobody")
    with pytest.raises(Forbidden):
        selectors.score_report(user=outsider, kind="nps", start=NOV, end=NOV + timedelta(1))
    with pytest.raises(Forbidden):
        next(selectors.responses_export_rows(user=outsider))
    assert selectors.responses_list(user=outsider).items == []


def test_the_report_takes_the_same_queries_whatever_the_data(users, records, answered) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_contact

    counts = []
    for _round in range(2):
        with CaptureQueriesContext(connection) as ctx:
            selectors.score_report(
                user=users.rep_a, kind="nps", start=NOV, end=NOV + timedelta(days=30)
            )
        counts.append(len(ctx.captured_queries))
        for n in range(3):
            contact = make_contact(by=users.rep_a2)
            _at(answer_as(survey=answered, contact=contact, answers={1: n}, agent_id=users.rep_a2.pk),
                NOV + timedelta(days=n + 6))  # fmt: skip
    assert counts[0] == counts[1] <= 12


def test_report_per_lifecycle_stage_and_tag(users, records, answered) -> None:
    from kith.customers.models import Contact

    Contact.objects.filter(pk=records.contact_a.pk).update(lifecycle_stage="customer")
    report = selectors.score_report(
        user=users.admin, kind="nps", start=NOV, end=NOV + timedelta(days=30)
    )
    # contact_a (tag vip, now a customer): 10, 9, 3 → +33.3; contact_b (a lead, no tag): 8 → 0.
    assert {g.label: (g.summary.answers, g.summary.value) for g in report.by_stage} == {
        "Customer": (3, 33.3), "Lead": (1, 0.0),
    }  # fmt: skip
    assert [(g.label, g.summary.answers, g.summary.value) for g in report.by_tag] == [
        ("vip", 3, 33.3)
    ]
    mine = selectors.score_report(
        user=users.rep_b, kind="nps", start=NOV, end=NOV + timedelta(days=30)
    )
    assert [g.label for g in mine.by_stage] == ["Lead"] and mine.by_tag == []
