"""A sales rep of team A never sees team B's records, whichever door they try."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from kith.customers.models import Contact
from kith.identity.models import Role, RoleGrant


@pytest.mark.parametrize("name", ["contact-detail", "contact-edit", "contact-delete"])
def test_rep_gets_404_for_another_teams_contact(web_for, users, records, name):
    client = web_for(users.rep_a)
    url = reverse(name, kwargs={"contact_id": records.contact_b.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": 1, "full_name": "Hacked"}).status_code == 404
    records.contact_b.refresh_from_db()
    assert records.contact_b.full_name == "Trần Thị Bình"


@pytest.mark.parametrize("name", ["company-detail", "company-edit", "company-delete"])
def test_rep_gets_404_for_another_teams_company(web_for, users, records, name):
    client = web_for(users.rep_a)
    url = reverse(name, kwargs={"company_id": records.company_b.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": 1, "name": "Hacked"}).status_code == 404


def test_rep_never_sees_another_teams_contact_in_list_search_or_export(web_for, users, records):
    client = web_for(users.rep_a)
    listed = client.get(reverse("contact-list"))
    assert [c.full_name for c in listed.context["contacts"]] == ["王伟明"]
    assert "Trần Thị Bình" not in listed.content.decode()

    for url in (reverse("search"), reverse("search-live")):
        found = client.get(url, {"q": "Bình"})
        assert "Trần Thị Bình" not in found.content.decode()
        assert found.context["results"].contacts == []

    export = client.get(reverse("contact-export"))
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["王伟明"]


def test_rep_cannot_open_another_teams_company_in_the_picker_or_filter(web_for, users, records):
    client = web_for(users.rep_a)
    listed = client.get(reverse("contact-list"), {"company": records.company_b.pk})
    assert listed.context["contacts"] == []
    assert listed.context["company"] is None


def test_rep_without_delete_right_gets_403(web_for, users, records):
    client = web_for(users.rep_a)
    url = reverse("contact-delete", kwargs={"contact_id": records.contact_a.pk})
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Contact.objects.filter(pk=records.contact_a.pk).exists()
    detail = client.get(reverse("contact-detail", kwargs={"contact_id": records.contact_a.pk}))
    assert b"/delete/" not in detail.content  # no Delete button either


def test_export_without_export_right_is_a_403_page(web_for, users, records):
    role = Role.objects.create(slug="viewer", name="Viewer")
    RoleGrant.objects.create(role=role, module="contacts", scope="all", can_read=True)
    users.rep_a2.role = role
    users.rep_a2.save()
    client = web_for(users.rep_a2)
    response = client.get(reverse("contact-export"))
    assert response.status_code == 403
    assert b"Your role does not allow this." in response.content
    assert b"Export CSV" not in client.get(reverse("contact-list")).content


def test_bulk_actions_skip_contacts_the_rep_cannot_see(web_for, users, records):
    client = web_for(users.rep_a)
    response = client.post(
        reverse("contact-bulk"),
        {"action": "tag", "tag": "hot", "ids": [records.contact_a.pk, records.contact_b.pk]},
    )
    assert response.status_code == 302
    assert list(records.contact_b.tags.values_list("name", flat=True)) == []
    assert sorted(records.contact_a.tags.values_list("name", flat=True)) == ["hot", "vip"]


def test_rep_cannot_revoke_another_users_token(web_for, users):
    from kith.identity import services as identity

    token, _secret = identity.api_token_create(user=users.rep_b, name="b's script")
    response = web_for(users.rep_a).post(reverse("token-revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_read_only_role_sees_no_write_buttons_and_gets_403_on_write_pages(web_for, users, records):
    role = Role.objects.create(slug="reader", name="Reader")
    for module in ("contacts", "companies"):
        RoleGrant.objects.create(role=role, module=module, scope="team", can_read=True)
    users.rep_a2.role = role
    users.rep_a2.save()
    client = web_for(users.rep_a2)
    detail = client.get(reverse("contact-detail", kwargs={"contact_id": records.contact_a.pk}))
    assert detail.status_code == 200
    assert b"/edit/" not in detail.content
    listed = client.get(reverse("contact-list")).content.decode()
    assert "New contact" not in listed and 'id="bulk-action"' not in listed
    for url in (
        reverse("contact-create"),
        reverse("contact-edit", kwargs={"contact_id": records.contact_a.pk}),
        reverse("company-create"),
        reverse("company-edit", kwargs={"company_id": records.company_a.pk}),
    ):
        assert client.get(url).status_code == 403, url
    bulk = client.post(
        reverse("contact-bulk"), {"action": "tag", "tag": "x", "ids": [records.contact_a.pk]}
    )
    assert bulk.status_code == 403
