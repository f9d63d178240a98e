"""Feedback pages: the survey builder, detail with public link and QR code, sending, the answers
list (paginated, constant queries), the dashboard, CSV export and their permission gate; the
public pages: the email's score link, the finishing form, the public link, old CSAT links."""

from __future__ import annotations

import csv
import io

from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.feedback import services
from kith.feedback.models import Survey, SurveyResponse
from kith.identity.models import Role
from kith.identity.services import user_create
from tests.factories import make_contact
from tests.feedback.factories import answer_as, make_survey


def _builder_post(**extra):
    data = {
        "name": "Bữa trưa", "kind": "custom", "trigger": "manual", "default_language": "vi",
        "title_vi": "Bữa trưa thế nào?",
        "q1_kind": "rating", "q1_text_vi": "Món ăn ngon không?", "q1_text_en": "Was the food good?",
        "q1_required": "1",
        "q2_kind": "single", "q2_text_vi": "Có quay lại không?", "q2_choices": "Có\nKhông",
        "q3_kind": "text", "q3_text_vi": "Vì sao?", "q3_if_q": "2", "q3_if_choices": "c2",
    }  # fmt: skip
    data.update(extra)
    return data


def test_the_builder_makes_a_custom_survey_with_skip_logic(web_for, users) -> None:
    web = web_for(users.rep_a)
    assert web.get("/feedback/new/").status_code == 200
    bad = web.post("/feedback/new/", _builder_post(name="", q2_choices="Có"))
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "questions.2.choices" in html and "name" in html
    done = web.post("/feedback/new/", _builder_post())
    survey = Survey.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/feedback/{survey.pk}/"
    q1, q2, q3 = survey.questions.order_by("position")
    assert q1.texts == {"vi": "Món ăn ngon không?", "en": "Was the food good?"} and q1.required
    assert [c["texts"]["vi"] for c in q2.choices] == ["Có", "Không"]
    assert q3.show_if == {"question": 2, "choices": ["c2"]}
    assert survey.titles == {"vi": "Bữa trưa thế nào?"}
    page = web.get(f"/feedback/{survey.pk}/").content.decode()
    assert "data-public-link" in page and "/survey/" in page
    qr = web.get(f"/feedback/{survey.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<svg")
    edit = web.post(f"/feedback/{survey.pk}/edit/", {**_builder_post(name="Bữa tối"), "version": "1",
                                                      "is_active_shown": "1", "is_active": "1"})  # fmt: skip
    assert edit.status_code == 302
    assert Survey.objects.get().name == "Bữa tối"
    assert web_for(users.rep_b).get(f"/feedback/{survey.pk}/").status_code == 404


def test_the_email_link_records_the_score_and_the_page_finishes_it(client, users, records) -> None:
    survey = make_survey(by=users.admin, kind="nps")
    request, _made = services.survey_request_open(
        survey=survey, contact=records.contact_b, language="vi"
    )
    url = services.request_url(request, answer=9).split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + url)
    html = page.content.decode()
    assert page.status_code == 200 and "data-recorded" in html
    assert "Vì sao bạn cho điểm này?" in html  # the rest of the survey, in Vietnamese
    response = SurveyResponse.objects.get()
    assert (response.score, response.completed_at, response.language) == (9, None, "vi")
    token = html.split('name="response_token" value="')[1].split('"')[0]
    done = client.post(f"/s/{services.request_token_make(request_id=request.pk)}/",
                       {"response_token": token, "q1": "9", "q2": "Nhanh lắm"})  # fmt: skip
    assert done.status_code == 200 and "data-thanks" in done.content.decode()
    response.refresh_from_db()
    assert (response.comment, response.completed_at is not None) == ("Nhanh lắm", True)
    again = client.get("/" + url)
    assert again.status_code == 410
    assert (
        client.get(f"/s/{services.request_token_make(request_id=request.pk)}x/").status_code == 410
    )


def test_the_public_link_and_old_csat_links(client, users, records) -> None:
    survey = make_survey(by=users.admin, kind="csat")
    token = services.public_token_make(survey_id=survey.pk)
    page = client.get(f"/survey/{token}/?lang=zh-hans")
    assert "您对我们的帮助满意吗" in page.content.decode()
    assert ">发送</button>" in page.content.decode()  # the page's own words translated too
    bad = client.post(f"/survey/{token}/", {"q1": "9", "lang": "zh-hans"})
    assert bad.status_code == 422
    ok = client.post(f"/survey/{token}/", {"q1": "5", "q2": "很好", "lang": "zh-hans"})
    assert ok.status_code == 200 and "data-thanks" in ok.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.contact_id, response.channel, response.language, response.comment) == (
        None, "link", "zh-hans", "很好",
    )  # fmt: skip
    # A link the service desk mailed before its CSAT moved here.
    from kith.service import services as service

    ticket = service.ticket_create(by=users.rep_a, subject="x", contact_id=records.contact_a.pk)
    services.survey_request_open(survey=services.csat_survey_ensure(owner_id=users.admin.pk),
                                 contact=records.contact_a, source_model="service.ticket",
                                 source_id=ticket.pk)  # fmt: skip
    old = signing.dumps({"t": ticket.pk}, salt="kith.service.csat", compress=True)
    assert client.get(f"/csat/{old}/?score=4").status_code == 200
    assert SurveyResponse.objects.get(source_id=ticket.pk).score == 4


def test_answers_list_pages_with_constant_queries_and_the_gate(
    web_for, users, records, settings
) -> None:
    settings.KITH_PAGE_SIZE = 3
    survey = make_survey(by=users.admin, kind="nps")
    contacts = [make_contact(by=users.rep_a, full_name=f"Khách {n}") for n in range(8)]
    for n, contact in enumerate(contacts):
        answer_as(survey=survey, contact=contact, answers={1: n + 2, 2: f"lý do {n}"})
    answer_as(survey=survey, contact=records.contact_b, answers={1: 1})
    web = web_for(users.rep_a)
    counts = []
    for _round in range(2):
        # More answers (of other contacts and agents) do not add queries.
        extra = make_contact(by=users.rep_a2, full_name=f"Thêm {_round}")
        answer_as(survey=survey, contact=extra, answers={1: 9}, agent_id=users.rep_a2.pk)
        with CaptureQueriesContext(connection) as ctx:
            page = web.get("/feedback/answers/")
        counts.append(len(ctx.captured_queries))
        assert page.status_code == 200
    assert counts[0] == counts[1]
    html = page.content.decode()
    assert html.count("data-row") == 3 and "Trần Thị Bình" not in html  # team B's answer
    assert "rep_a2" in html  # the agent column
    following = web.get(
        "/feedback/answers/?cursor=" + html.split("cursor=")[1].split('"')[0].replace("&amp;", "&")
    )
    assert following.status_code == 200 and following.content.decode().count("data-row") == 3
    with CaptureQueriesContext(connection) as ctx:
        assert web.get("/feedback/").status_code == 200
    surveys_queries = len(ctx.captured_queries)
    make_survey(by=users.admin, kind="ces")
    with CaptureQueriesContext(connection) as ctx:
        web.get("/feedback/")
    assert len(ctx.captured_queries) == surveys_queries
    one = SurveyResponse.objects.filter(contact=contacts[0]).get()
    assert "lý do 0" in web.get(f"/feedback/answers/{one.pk}/").content.decode()
    assert web_for(users.rep_b).get(f"/feedback/answers/{one.pk}/").status_code == 404


def test_dashboard_and_export_follow_the_permission_gate(web_for, users, records) -> None:
    survey = make_survey(by=users.admin, kind="nps")
    answer_as(survey=survey, contact=records.contact_a, answers={1: 10, 2: "Tốt"})
    answer_as(survey=survey, contact=records.contact_b, answers={1: 3})
    dashboard = web_for(users.rep_a).get("/feedback/dashboard/?kind=nps")
    html = dashboard.content.decode()
    assert dashboard.status_code == 200 and "chart.umd.min.js" in html
    assert 'id="feedback-chart-data"' in html and "data-value>100.0<" in html
    export = web_for(users.manager).get("/feedback/answers/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][:4] == ["id", "survey", "kind", "score"]
    assert sorted(r[3] for r in rows[1:]) == ["10", "3"]
    mine = web_for(users.rep_b).get("/feedback/answers/export.csv")
    assert [
        r[3] for r in list(csv.reader(io.StringIO(b"".join(mine.streaming_content).decode())))[1:]
    ] == ["3"]
    Role.objects.create(slug="nobody", name="No rights")
    outsider = web_for(user_create(username="outsider", password="x" * 12, role_slug="nobody"))
    for url in (
        "/feedback/answers/",
        "/feedback/dashboard/",
        "/feedback/answers/export.csv",
        "/feedback/new/",
    ):
        assert outsider.get(url).status_code == 403, url


def test_company_panel_and_contact_timeline_show_answers(web_for, users, records) -> None:
    survey = make_survey(by=users.admin, kind="nps")
    answer_as(survey=survey, contact=records.contact_a, answers={1: 6, 2: "Giá cao"})
    web = web_for(users.rep_a)
    panel = web.get(f"/companies/{records.company_a.pk}/feedback/").content.decode()
    assert "NPS 6" in panel and "Giá cao" in panel
    from kith.engagement import selectors as engagement

    _contact, page = engagement.contact_timeline(
        user=users.rep_a, contact_id=records.contact_a.pk, limit=50
    )
    (item,) = [i for i in page.items if i.kind == "survey"]
    assert (item.title, item.summary) == ("NPS 6 on “NPS survey”", "Giá cao")
    _contact, hidden = engagement.contact_timeline(
        user=users.manager, contact_id=records.contact_a.pk, limit=50
    )
    assert any(i.kind == "survey" for i in hidden.items)
