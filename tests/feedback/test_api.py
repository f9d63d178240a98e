"""API v1 of feedback: surveys (create with standard or custom questions, update, send), answers
(list with cursor pagination and constant queries, detail), the report, and access."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.feedback.models import SurveyRequest
from tests.factories import make_contact
from tests.feedback.factories import answer_as, make_survey


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_surveys_create_update_and_send(api_for, users, records) -> None:
    api = api_for(users.rep_a)
    made = _post(
        api,
        "/api/v1/surveys",
        {"name": "After delivery", "kind": "nps", "trigger": "order_created"},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert [q["kind"] for q in body["questions"]] == ["nps", "text"]
    assert body["questions"][0]["texts"]["zh-hans"].startswith("您向朋友")
    assert "/survey/" in body["public_url"]
    bad = _post(api, "/api/v1/surveys", {"name": "X", "kind": "custom", "questions": [
        {"kind": "single", "texts": {"en": "Pick"}, "choices": [{"key": "a", "texts": {"en": "A"}}]}]})  # fmt: skip
    assert bad.status_code == 422 and "questions.1.choices" in bad.json()["errors"]
    patched = api.patch(f"/api/v1/surveys/{body['id']}", json.dumps({"version": 1, "name": "Sau giao hàng"}),
                        content_type="application/json")  # fmt: skip
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = api.patch(f"/api/v1/surveys/{body['id']}", json.dumps({"version": 1, "name": "Old"}),
                      content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    sent = _post(
        api,
        f"/api/v1/surveys/{body['id']}/send",
        {"contact_id": records.contact_a.pk, "language": "zh-hans"},
    )
    assert sent.status_code == 201 and sent.json()["language"] == "zh-hans"
    assert SurveyRequest.objects.get().contact_id == records.contact_a.pk
    hidden = _post(api, f"/api/v1/surveys/{body['id']}/send", {"contact_id": records.contact_b.pk})
    assert hidden.status_code == 404
    assert api_for(users.rep_b).get(f"/api/v1/surveys/{body['id']}").status_code == 404


def test_answers_list_paginates_with_constant_queries(api_for, users, records) -> None:
    survey = make_survey(by=users.admin, kind="csat")
    for n in range(5):
        answer_as(survey=survey, contact=make_contact(by=users.rep_a), answers={1: n + 1})
    answer_as(survey=survey, contact=records.contact_b, answers={1: 5, 2: "Tốt"})
    api = api_for(users.rep_a)
    api.get("/api/v1/survey-answers?limit=1")  # the token's first use is recorded once
    counts = []
    for limit in (2, 5):
        with CaptureQueriesContext(connection) as ctx:
            page = api.get(f"/api/v1/survey-answers?limit={limit}")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    items = page.json()["items"]
    assert len(items) == 5 and {i["contact_id"] for i in items}.isdisjoint({records.contact_b.pk})
    first = api.get("/api/v1/survey-answers?limit=2").json()
    second = api.get(f"/api/v1/survey-answers?limit=2&cursor={first['next_cursor']}").json()
    assert len(second["items"]) == 2 and not {i["id"] for i in first["items"]} & {
        i["id"] for i in second["items"]
    }
    detail = api.get(f"/api/v1/survey-answers/{items[0]['id']}").json()
    assert (
        detail["answers"][0]["position"] == 1 and detail["answers"][0]["number"] == detail["score"]
    )


def test_report_endpoint(api_for, users, records) -> None:
    survey = make_survey(by=users.admin, kind="nps")
    for score in (10, 9, 2):
        answer_as(survey=survey, contact=make_contact(by=users.rep_a), answers={1: score})
    report = api_for(users.admin).get("/api/v1/feedback-report?kind=nps").json()
    assert (report["total"]["answers"], report["total"]["value"]) == (3, 33.3)
    assert (report["sent"], report["answered"], report["response_rate"]) == (3, 3, 100.0)
    assert report["points"][0]["summary"]["positive"] == 2
    assert api_for(users.admin).get("/api/v1/feedback-report?kind=custom").status_code == 422
