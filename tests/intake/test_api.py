"""API v1 of intake: upload, preview, mapping, run, status, undo; duplicates and merges."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kith.customers.models import Contact
from kith.intake.imports import import_run
from tests.factories import make_contact
from tests.intake.factories import csv_bytes


def _upload(client: Client, rows):
    upload = SimpleUploadedFile("people.csv", csv_bytes(rows), content_type="text/csv")
    return client.post("/api/v1/imports", {"file": upload, "kind": "contacts"})


@pytest.mark.django_db
def test_upload_preview_run_status_undo(users, api_for):
    client = api_for(users.rep_a)
    response = _upload(client, [["Who", "Email"], ["Ann", "ann@x.com"], ["Bob", "bad"]])
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["mapping"] == {"Who": "", "Email": "email"}

    response = client.put(
        f"/api/v1/imports/{job['id']}/mapping",
        {"mapping": {"Who": "full_name", "Email": "email"}},
        content_type="application/json",
    )
    assert response.json()["mapping"] == {"Who": "full_name", "Email": "email"}
    preview = client.get(f"/api/v1/imports/{job['id']}/preview").json()
    assert (preview["total"], preview["valid"]) == (2, 1)
    assert preview["errors"][0]["row"] == 3
    assert preview["errors"][0]["field"] == "Email"

    assert client.post(f"/api/v1/imports/{job['id']}/run").json()["status"] == "queued"
    import_run(by=users.rep_a, job_id=job["id"])  # what the worker does
    status = client.get(f"/api/v1/imports/{job['id']}").json()
    assert (status["status"], status["created_count"], status["error_count"]) == ("done", 1, 1)
    assert client.post(f"/api/v1/imports/{job['id']}/undo").json()["status"] == "undone"
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_bad_file_is_422_naming_the_file(users, api_for):
    response = _upload(api_for(users.rep_a), [])
    assert response.status_code == 422
    assert response.json()["errors"] == {"file": "The file is empty."}


@pytest.mark.django_db
def test_other_users_import_is_404(users, api_for):
    job = _upload(api_for(users.rep_a), [["Name"], ["Ann"]]).json()
    client_b = api_for(users.rep_b)
    assert client_b.get(f"/api/v1/imports/{job['id']}").status_code == 404
    assert client_b.post(f"/api/v1/imports/{job['id']}/run").status_code == 404


@pytest.mark.django_db
def test_duplicates_and_merge(users, api_for):
    a = make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    b = make_contact(by=users.rep_a, first_name="Ann", last_name="Lee")
    client = api_for(users.rep_a)
    found = client.post(
        "/api/v1/duplicates/contacts", {"email": "ANN@x.com"}, content_type="application/json"
    ).json()
    assert [c["id"] for c in found] == [a.pk]
    assert (
        api_for(users.rep_b)
        .post(
            "/api/v1/duplicates/contacts", {"email": "ann@x.com"}, content_type="application/json"
        )
        .json()
        == []
    )

    merge = client.post(
        "/api/v1/merges/contacts",
        {"survivor_id": a.pk, "merged_ids": [b.pk]},
        content_type="application/json",
    )
    assert merge.status_code == 201
    assert not Contact.objects.filter(pk=b.pk).exists()
    assert api_for(users.rep_b).post(f"/api/v1/merges/{merge.json()['id']}/undo").status_code == 404
    undone = client.post(f"/api/v1/merges/{merge.json()['id']}/undo")
    assert undone.json()["undone_at"] is not None
    assert Contact.objects.filter(pk=b.pk).exists()


def test_company_duplicates_and_merge(users, api_for):
    from kith.customers.models import Company
    from tests.factories import make_company

    a = make_company(by=users.rep_a, name="Sao Mai", domain="saomai.vn")
    b = make_company(by=users.rep_a, name="Công ty TNHH Sao Mai")
    client = api_for(users.rep_a)
    found = client.post(
        "/api/v1/duplicates/companies", {"name": "Sao Mai Ltd"}, content_type="application/json"
    ).json()
    # Both: "Công ty TNHH Sao Mai" is Sao Mai with its legal form (the two are merged next).
    assert [c["id"] for c in found] == [a.pk, b.pk]
    merge = client.post(
        "/api/v1/merges/companies",
        {"survivor_id": a.pk, "merged_ids": [b.pk]},
        content_type="application/json",
    )
    assert merge.status_code == 201
    assert list(Company.objects.values_list("pk", flat=True)) == [a.pk]
    client.post(f"/api/v1/merges/{merge.json()['id']}/undo")
    assert Company.objects.count() == 2
