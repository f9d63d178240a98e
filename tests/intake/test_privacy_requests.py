"""The privacy request log: received, due KITH_PRIVACY_REQUEST_DAYS later, done and by whom;
overdue requests flagged on the page, the API and the CLI; an export closes the open request."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from kith.cli.app import app
from kith.core.errors import FieldError
from kith.intake.models import PrivacyRequest
from kith.intake.privacy import personal_data_export
from kith.intake.privacy_requests import privacy_request_log


def test_a_request_is_due_in_30_days_and_an_export_closes_it(users, records, settings):
    received = timezone.now() - timedelta(days=31)
    late = privacy_request_log(by=users.admin, kind="export", subject="customers.contact",
                               subject_id=records.contact_a.pk, received_at=received)  # fmt: skip
    assert late.due_at == received + timedelta(days=30)
    settings.KITH_PRIVACY_REQUEST_DAYS = 10
    other = privacy_request_log(by=users.admin, kind="erasure", subject="customers.contact",
                                subject_id=records.contact_b.pk)  # fmt: skip
    assert (other.due_at - other.received_at) == timedelta(days=10)
    personal_data_export(by=users.admin, contact_id=records.contact_a.pk)
    late.refresh_from_db()
    assert late.done_at is not None and late.done_by == users.admin
    assert PrivacyRequest.objects.count() == 2  # the export answered the open request
    with pytest.raises(FieldError) as bad:
        privacy_request_log(by=users.admin, kind="rectify", subject="customers.contact",
                            subject_id=10**12, received_at=timezone.now() + timedelta(days=2))  # fmt: skip
    assert set(bad.value.errors) == {"kind", "subject_id", "received_at"}


def test_the_log_on_the_page_api_and_cli_flags_overdue_requests(
    users, records, api_for, web_for, django_assert_max_num_queries
):
    for days in (40, 35, 1):
        privacy_request_log(by=users.admin, kind="erasure", subject="customers.contact",
                            subject_id=records.contact_a.pk,
                            received_at=timezone.now() - timedelta(days=days))  # fmt: skip
    api = api_for(users.admin)
    created = api.post("/api/v1/privacy/requests", {"kind": "export", "subject": "sales.lead",
                       "subject_id": 10**9}, content_type="application/json")  # fmt: skip
    assert created.status_code == 422 and "subject_id" in created.json()["errors"]
    created = api.post("/api/v1/privacy/requests", {"kind": "export",
                       "subject": "customers.contact", "subject_id": records.contact_b.pk,
                       "channel": "email"}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201 and created.json()["overdue"] is False
    with django_assert_max_num_queries(6):
        listed = api.get("/api/v1/privacy/requests?state=overdue")
    assert listed.status_code == 200
    assert [r["overdue"] for r in listed.json()["items"]] == [True, True]
    done = api.post(f"/api/v1/privacy/requests/{listed.json()['items'][0]['id']}/done")
    assert done.status_code == 200 and done.json()["done_by"]["name"]
    assert len(api.get("/api/v1/privacy/requests?state=overdue").json()["items"]) == 1
    assert api_for(users.rep_a).get("/api/v1/privacy/requests").status_code == 403
    # The page: the overdue one flagged, a rep refused, a request logged from the form.
    client = web_for(users.admin)
    with django_assert_max_num_queries(12):
        page = client.get("/settings/privacy-requests/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count("data-overdue") == 1 + 1  # row + warning
    assert web_for(users.rep_a).get("/settings/privacy-requests/").status_code == 403
    posted = client.post("/settings/privacy-requests/", {"kind": "erasure",
                         "subject": "customers.contact", "subject_id": records.contact_b.pk,
                         "received_at": "2026-11-01"})  # fmt: skip
    assert posted.status_code == 302
    refused = client.post("/settings/privacy-requests/", {"kind": "erasure",
                          "subject": "customers.contact", "subject_id": "x"})  # fmt: skip
    assert refused.status_code == 400
    # The CLI lists and closes them.
    runner = CliRunner()
    logged = runner.invoke(
        app, ["personal-data", "request-log", "export", str(records.contact_a.pk)]
    )
    assert logged.exit_code == 0, logged.output
    request_id = int(logged.output.split()[0])
    assert runner.invoke(app, ["personal-data", "request-done", str(request_id)]).exit_code == 0
    rows = [json.loads(line) for line in
            runner.invoke(app, ["personal-data", "requests", "--state", "overdue"]).output.splitlines()]  # fmt: skip
    assert len(rows) == 2 and all(r["overdue"] for r in rows)  # 1 left + the form's Nov 1st
