"""Surveys: building with translated questions and skip logic, signed links that answer once,
tampering, anonymous answers, the email's first answer finished on the page, public links."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import override_settings

from kith.core.errors import FieldError, NotFound
from kith.core.models import DomainEvent
from kith.feedback import services
from kith.feedback.models import Question, SurveyAnswer, SurveyRequest, SurveyResponse
from tests.feedback.factories import answer_as, make_survey

CUSTOM = [
    {"kind": "rating", "texts": {"en": "Rate the food", "vi": "Đánh giá món ăn", "zh-hans": "给食物打分"},
     "required": True},
    {"kind": "multiple", "texts": {"en": "What went wrong?"},
     "choices": [{"key": "late", "texts": {"en": "Late", "vi": "Trễ"}},
                 {"key": "cold", "texts": {"en": "Cold"}}, {"key": "rude", "texts": {"en": "Rude"}}],
     "show_if": {"question": 1, "max": 3}},
    {"kind": "single", "texts": {"en": "Order again?"}, "choices": ["Yes", "No"]},
    {"kind": "text", "texts": {"en": "Tell us more"}, "show_if": {"question": 3, "choices": ["c2"]}},
]  # fmt: skip


def test_standard_surveys_get_their_questions_in_three_languages(users) -> None:
    survey = make_survey(by=users.rep_a, kind="nps")
    first, second = survey.questions.order_by("position")
    assert (first.kind, first.required, second.kind) == ("nps", True, "text")
    assert set(first.texts) == {"en", "zh-hans", "vi"}
    assert first.texts["vi"].startswith("Bạn có sẵn lòng")
    assert (survey.owner_id, survey.team_id) == (users.rep_a.pk, users.rep_a.team_id)


def test_bad_survey_input_names_the_field_and_writes_nothing(users) -> None:
    with pytest.raises(FieldError) as exc:
        services.survey_create(by=users.rep_a, name="", kind="custom", questions=[
            {"kind": "single", "texts": {"en": "Pick"}, "choices": ["only one"]},
            {"kind": "text", "texts": {"fr": "Pourquoi"}},
            {"kind": "text", "texts": {"en": "x"}, "show_if": {"question": 3, "min": 1}},
        ])  # fmt: skip
    assert set(exc.value.errors) == {
        "name", "questions.1.choices", "questions.2.texts", "questions.3.show_if",
    }  # fmt: skip
    with pytest.raises(FieldError) as exc:
        services.survey_create(by=users.rep_a, name="", kind="nps")
    assert set(exc.value.errors) == {"name"}
    with pytest.raises(FieldError) as exc:
        services.survey_create(by=users.rep_a, name="R", kind="nps", trigger="schedule")
    assert set(exc.value.errors) == {"every_months"}
    with pytest.raises(FieldError) as exc:
        services.survey_create(by=users.rep_a, name="C", kind="custom")
    assert set(exc.value.errors) == {"questions"}
    from kith.feedback.models import Survey

    assert Survey.objects.count() == 0 and Question.objects.count() == 0


def test_a_signed_link_answers_once(users, records) -> None:
    survey = make_survey(by=users.rep_a, kind="nps")
    request, _made = services.survey_request_open(survey=survey, contact=records.contact_a)
    token = services.request_token_make(request_id=request.pk)
    response = services.survey_answer(token=token, answers={"q1": "3", "q2": "Giao hàng chậm"})
    assert (response.score, response.comment, response.contact_id) == (
        3,
        "Giao hàng chậm",
        records.contact_a.pk,
    )
    assert (response.owner_id, response.team_id, response.company_id) == (
        users.rep_a.pk, users.rep_a.team_id, records.company_a.pk,
    )  # fmt: skip
    with pytest.raises(FieldError) as exc:
        services.survey_answer(token=token, answers={"q1": "10"})
    assert set(exc.value.errors) == {"token"}
    assert SurveyResponse.objects.count() == 1
    assert SurveyResponse.objects.get().score == 3
    event = DomainEvent.objects.get(name="survey.answered")
    assert event.payload == {
        "survey_id": survey.pk, "kind": "nps", "score": 3, "contact_id": records.contact_a.pk,
        "source_model": "", "source_id": None,
    }  # fmt: skip


def test_tampered_forged_and_expired_links_fail(users, records) -> None:
    survey = make_survey(by=users.rep_a, kind="csat")
    request, _made = services.survey_request_open(survey=survey, contact=records.contact_a)
    token = services.request_token_make(request_id=request.pk)
    forged = signing.dumps({"r": request.pk + 1}, salt="another.salt", compress=True)
    for bad in (token[:-2] + "xx", "x" + token, forged, "nonsense"):
        with pytest.raises(FieldError) as exc:
            services.survey_answer(token=bad, answers={1: 5})
        assert set(exc.value.errors) == {"token"}
    with override_settings(KITH_FEEDBACK_LINK_DAYS=-1), pytest.raises(FieldError) as exc:
        services.survey_answer(token=token, answers={1: 5})
    assert "expired" in str(exc.value.errors["token"])
    assert SurveyResponse.objects.count() == 0
    assert SurveyRequest.objects.get().answered_at is None


def test_anonymous_answers_keep_no_contact(users, records) -> None:
    survey = make_survey(by=users.rep_a, kind="nps", is_anonymous=True)
    response = answer_as(survey=survey, contact=records.contact_a, answers={1: 9, 2: "ok"})
    response.refresh_from_db()
    assert (response.contact_id, response.company_id, response.request_id, response.agent_id) == (
        None, None, None, None,
    )  # fmt: skip
    assert (response.owner_id, response.team_id, response.score) == (
        users.rep_a.pk, users.rep_a.team_id, 9,
    )  # fmt: skip
    # The request still knows it was answered (once), but no row links it to the answers.
    request = SurveyRequest.objects.get()
    assert request.answered_at is not None
    assert not SurveyResponse.objects.filter(request=request).exists()
    assert DomainEvent.objects.get(name="survey.answered").payload["contact_id"] is None


def test_answers_are_checked_and_skip_logic_drops_hidden_questions(users, records) -> None:
    survey = make_survey(by=users.rep_a, kind="custom", questions=CUSTOM)
    request, _made = services.survey_request_open(survey=survey, contact=records.contact_a)
    token = services.request_token_make(request_id=request.pk)
    with pytest.raises(FieldError) as exc:
        services.survey_answer(token=token, answers={1: 9, 2: ["late", "soggy"], 3: ["c1", "c2"]})
    assert set(exc.value.errors) == {"q1", "q3"}
    with pytest.raises(FieldError) as exc:
        services.survey_answer(token=token, answers={2: ["late"]})
    assert set(exc.value.errors) == {"q1"}  # required
    # Rating 5 hides question 2 (shown only for 1–3); "Yes" (c1) hides question 4.
    response = services.survey_answer(
        token=token, answers={1: 5, 2: ["late"], 3: "c1", 4: "ignored"}
    )
    got = {a.question.position: (a.number, a.choices, a.text)
           for a in SurveyAnswer.objects.filter(response=response).select_related("question")}  # fmt: skip
    assert got == {1: (5, [], ""), 3: (None, ["c1"], "")}
    assert (response.score, response.comment) == (None, "")  # a rating is no NPS/CSAT/CES


def test_skip_logic_shows_follow_up_questions_when_they_match(users, records) -> None:
    survey = make_survey(by=users.rep_a, kind="custom", questions=CUSTOM)
    response = answer_as(
        survey=survey, contact=records.contact_a,
        answers={1: "2", 2: ["late", "cold"], 3: "c2", 4: "送餐太慢了"},
    )  # fmt: skip
    got = {a.question.position: (a.number, a.choices, a.text) for a in response.answers.all()}
    assert got == {1: (2, [], ""), 2: (None, ["late", "cold"], ""), 3: (None, ["c2"], ""),
                   4: (None, [], "送餐太慢了")}  # fmt: skip
    assert response.comment == "送餐太慢了"


def test_the_email_score_counts_at_once_and_the_page_finishes_it_once(users, records) -> None:
    survey = make_survey(by=users.rep_a, kind="nps")
    request, _made = services.survey_request_open(survey=survey, contact=records.contact_a)
    token = services.request_token_make(request_id=request.pk)
    response = services.survey_answer(token=token, answers={1: "10"}, partial=True)
    assert (response.score, response.completed_at) == (10, None)
    resume = services.response_token_make(response_id=response.pk)
    # The finishing form cannot change the score already given.
    finished = services.survey_answer_finish(response_token=resume, answers={1: 0, 2: "Great"})
    assert (finished.score, finished.comment) == (10, "Great")
    assert finished.completed_at is not None
    with pytest.raises(FieldError):
        services.survey_answer_finish(response_token=resume, answers={2: "again"})
    with pytest.raises(FieldError):
        services.survey_answer(token=token, answers={1: 1})
    assert SurveyAnswer.objects.filter(response=response).count() == 2


def test_public_links_answer_many_times_naming_no_one_and_are_rate_limited(users, settings) -> None:
    settings.KITH_FEEDBACK_PUBLIC_RATE = 2
    survey = make_survey(by=users.rep_a, kind="csat")
    token = services.public_token_make(survey_id=survey.pk, channel="qr")
    one = services.survey_answer_public(
        token=token, answers={1: 5}, request_address="10.0.0.1", language="vi"
    )
    two = services.survey_answer_public(token=token, answers={1: 2}, request_address="10.0.0.1")
    assert [(r.channel, r.contact_id, r.language, r.score) for r in (one, two)] == [
        ("qr", None, "vi", 5), ("qr", None, "en", 2),
    ]  # fmt: skip
    with pytest.raises(FieldError):
        services.survey_answer_public(token=token, answers={1: 5}, request_address="10.0.0.1")
    assert (
        services.survey_answer_public(
            token=token, answers={1: 5}, request_address="10.0.0.2", honeypot="http://spam"
        )
        is None
    )
    with pytest.raises(FieldError):
        services.survey_answer_public(
            token=token[:-1] + "x", answers={1: 5}, request_address="10.0.0.3"
        )
    assert SurveyResponse.objects.count() == 2


def test_survey_update_checks_version_and_keeps_questions_once_answered(users, records) -> None:
    from kith.core.errors import StaleEdit

    survey = make_survey(by=users.rep_a, kind="ces")
    with pytest.raises(NotFound):
        services.survey_update(by=users.rep_b, survey_id=survey.pk, version=1, name="Mine")
    services.survey_update(by=users.rep_a, survey_id=survey.pk, version=1, name="Effort")
    with pytest.raises(StaleEdit):
        services.survey_update(by=users.rep_a, survey_id=survey.pk, version=1, name="Old")
    answer_as(survey=survey, contact=records.contact_a, answers={1: 2})
    with pytest.raises(FieldError) as exc:
        services.survey_update(
            by=users.rep_a, survey_id=survey.pk, version=2,
            questions=[{"kind": "text", "texts": {"en": "New"}}],
        )  # fmt: skip
    assert set(exc.value.errors) == {"questions"}


def test_a_custom_surveys_csat_question_counts_as_csat(users, records) -> None:
    survey = make_survey(by=users.rep_a, kind="custom", questions=[
        {"kind": "text", "texts": {"en": "Your order number?"}},
        {"kind": "csat", "texts": {"en": "Satisfied?"}, "required": True},
    ])  # fmt: skip
    response = answer_as(survey=survey, contact=records.contact_a, answers={1: "A-17", 2: 1})
    assert (response.kind, response.score, response.comment) == ("csat", 1, "A-17")
    assert DomainEvent.objects.get(name="survey.answered").payload["kind"] == "csat"
