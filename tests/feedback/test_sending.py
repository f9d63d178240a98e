"""Sending: the email in the recipient's language through a real SMTP server, the first
question answerable in it (one link per score); the QR code of the public link; the personal
data export and erasure."""

from __future__ import annotations

import contextlib
from email.header import decode_header, make_header

import segno

from kith.core.doors import personal_data_handlers
from kith.feedback import services
from kith.feedback.models import SurveyAnswer, SurveyRequest, SurveyResponse
from tests.feedback.factories import answer_as, make_survey


def _parts(mail):
    return {p.get_content_type(): p.get_payload(decode=True).decode() for p in mail.walk()
            if not p.is_multipart()}  # fmt: skip


def test_nps_email_in_vietnamese_has_eleven_score_links(users, records, smtp) -> None:
    survey = make_survey(by=users.rep_b, kind="nps", titles={"vi": "Ý kiến của bạn", "en": "Y"})
    request = services.survey_send(by=users.rep_b, survey_id=survey.pk, contact_id=records.contact_b.pk,
                                   language="vi")  # fmt: skip
    assert services.survey_email_send(request_id=request.pk) is True
    (mail,) = smtp.messages
    subject = str(make_header(decode_header(mail["Subject"])))
    assert (mail["To"], subject) == ("binh.tran@example.vn", "Ý kiến của bạn")
    parts = _parts(mail)
    assert "Bạn có sẵn lòng giới thiệu" in parts["text/plain"]
    links = [
        line.rsplit(": ", 1)[1] for line in parts["text/plain"].splitlines() if line[:1].isdigit()
    ]
    assert [link.rsplit("?a=", 1)[1] for link in links] == [str(n) for n in range(11)]
    assert parts["text/html"].count("?a=") == 11
    assert SurveyRequest.objects.get().sent_at is not None
    # Clicking "8" in the email answers the first question.
    token = links[8].split("/s/")[1].split("/")[0]
    response = services.survey_answer(
        token=token, answers={1: links[8].rsplit("=", 1)[1]}, partial=True
    )
    assert response.score == 8


def test_a_refused_message_leaves_the_request_unsent(users, records, settings) -> None:
    from tests.loopback import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    survey = make_survey(by=users.admin, kind="csat")
    request, _made = services.survey_request_open(survey=survey, contact=records.contact_a)
    with contextlib.suppress(OSError):
        services.survey_email_send(request_id=request.pk)
    assert SurveyRequest.objects.get().sent_at is None  # the worker retries it


def test_qr_code_points_at_the_public_link_counted_as_visits(users) -> None:
    survey = make_survey(by=users.admin, kind="csat")
    url = services.survey_public_url(survey=survey, channel="qr")
    token = url.rsplit("/survey/", 1)[1].strip("/")
    assert services.survey_for_public_token(token=token) == (survey, "qr")
    svg = services.survey_qr_svg(survey=survey)
    expected = segno.make(url, error="m")
    assert (
        svg.startswith("<svg") and f'width="{(expected.symbol_size(scale=6, border=2))[0]}"' in svg
    )


def test_personal_data_export_and_erase(users, records) -> None:
    handler = personal_data_handlers()["kith.feedback.personal_data"]
    survey = make_survey(by=users.admin, kind="nps")
    answer_as(survey=survey, contact=records.contact_a, answers={1: 5, 2: "Đắt quá"})
    answer_as(survey=survey, contact=records.contact_b, answers={1: 10})
    exported = handler.export(records.contact_a.pk)
    assert [(r["score"], r["comment"]) for r in exported["survey_responses"]] == [(5, "Đắt quá")]
    assert exported["survey_responses"][0]["answers"][1]["text"] == "Đắt quá"
    assert len(exported["survey_requests"]) == 1
    assert handler.erase(records.contact_a.pk) == {
        "survey_responses": 1, "survey_requests": 1, "sentiments": 0
    }  # fmt: skip
    kept = SurveyResponse.objects.get(score=5)  # the score stays in the statistics, anonymised
    assert (kept.contact_id, kept.company_id, kept.request_id, kept.comment) == (
        None,
        None,
        None,
        "",
    )
    assert not SurveyAnswer.objects.filter(text="Đắt quá").exists()
    assert handler.export(records.contact_a.pk) == {
        "survey_requests": [], "survey_responses": [], "sentiments": []
    }  # fmt: skip
    assert SurveyResponse.objects.filter(contact=records.contact_b).count() == 1
