"""Contacts in the browser UI: create, edit (stale edits, field errors), delete, list controls,
bulk actions, CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from kith.core.models import ChangeRecord
from kith.customers import selectors, services
from kith.customers.models import Contact

STALE = "This contact was changed by someone else since you opened it; reload to see their changes."


def edit_data(contact: Contact, **overrides) -> dict:
    """The edit form's fields as the browser would post them, unchanged unless overridden."""
    contact = Contact.objects.get(pk=contact.pk)
    points = {"email": [], "phone": [], "social": []}
    for point in contact.points.order_by("-is_primary", "id"):
        points[point.kind].append(point)
    data = {
        "version": contact.version,
        "full_name": contact.full_name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "company": contact.company_id or "",
        "lifecycle_stage": contact.lifecycle_stage,
        "source_channel": contact.source_channel,
        "owner": contact.owner_id,
        "tags": ", ".join(contact.tags.values_list("name", flat=True)),
    }
    for group, kind in (("emails", "email"), ("phones", "phone"), ("socials", "social")):
        for i, point in enumerate([*points[kind], None]):
            data[f"{group}-{i}-value"] = point.value if point else ""
            data[f"{group}-{i}-label"] = point.label if point else ""
        data[f"{group}-primary"] = "0"
    for key, value in contact.custom.items():
        data[f"custom-{key}"] = value
    data.update(overrides)
    return data


def test_create_contact_normalises_and_redirects(web_for, users, records):
    client = web_for(users.rep_a)
    response = client.post(
        reverse("contact-create"),
        {
            "full_name": "Nguyễn Văn An",
            "title": "Giám đốc",
            "company": records.company_a.pk,
            "lifecycle_stage": "customer",
            "source_channel": "referral",
            "owner": users.rep_a2.pk,
            "tags": "vip，北京, vip",
            "emails-0-value": "",
            "emails-1-value": " An.Nguyen@Example.VN ",
            "emails-1-label": "work",
            "emails-primary": "1",
            "phones-0-value": "+84 912 345 678",
            "addresses-0-kind": "work",
            "addresses-0-line1": "12 Lê Lợi",
            "addresses-0-city": "Hà Nội",
            "addresses-0-country": "vn",
        },
    )
    contact = Contact.objects.get(full_name="Nguyễn Văn An")
    assert response.status_code == 302
    assert response["Location"] == reverse("contact-detail", kwargs={"contact_id": contact.pk})
    assert contact.primary_email == "an.nguyen@example.vn"
    assert contact.primary_phone == "+84912345678"
    assert contact.company == records.company_a
    assert contact.owner == users.rep_a2
    assert contact.lifecycle_stage == "customer"
    assert sorted(contact.tags.values_list("name", flat=True)) == ["vip", "北京"]
    address = contact.addresses.get()
    assert (address.line1, address.city, address.country) == ("12 Lê Lợi", "Hà Nội", "VN")


def test_create_form_prefills_company_from_the_company_page(web_for, users, records):
    response = web_for(users.rep_a).get(
        reverse("contact-create"), {"company": records.company_a.pk}
    )
    html = response.content.decode()
    assert f'<option value="{records.company_a.pk}" selected>Hoa Sen Trading</option>' in html


def test_edit_changes_title_and_records_history(web_for, users, records):
    client = web_for(users.rep_a)
    url = reverse("contact-edit", kwargs={"contact_id": records.contact_a.pk})
    response = client.post(url, edit_data(records.contact_a, title="Head of purchasing"))
    assert response.status_code == 302
    records.contact_a.refresh_from_db()
    assert records.contact_a.title == "Head of purchasing"
    assert records.contact_a.version == 2
    change = ChangeRecord.objects.filter(object_id=records.contact_a.pk, action="update").get()
    assert (change.field, change.old_value, change.new_value) == (
        "title",
        "Purchasing manager",
        "Head of purchasing",
    )
    detail = client.get(response["Location"]).content.decode()
    assert "Head of purchasing" in detail
    timeline = client.get(
        reverse("contact-timeline", kwargs={"contact_id": records.contact_a.pk})
    ).content.decode()
    assert "Job title changed" in timeline and "Purchasing manager → Head of purchasing" in timeline


def test_unchanged_lists_are_not_sent_to_the_service(web_for, users, records):
    client = web_for(users.rep_a)
    url = reverse("contact-edit", kwargs={"contact_id": records.contact_a.pk})
    client.post(url, edit_data(records.contact_a, title="CFO"))
    fields = set(
        ChangeRecord.objects.filter(object_id=records.contact_a.pk, action="update").values_list(
            "field", flat=True
        )
    )
    assert fields == {"title"}


def test_stale_edit_shows_the_message_and_changes_nothing(web_for, users, records):
    client = web_for(users.rep_a)
    url = reverse("contact-edit", kwargs={"contact_id": records.contact_a.pk})
    opened = edit_data(records.contact_a)  # version 1, as the form was loaded
    services.contact_update(
        by=users.rep_a2, contact_id=records.contact_a.pk, version=1, title="Set by a colleague"
    )
    response = client.post(url, {**opened, "title": "My change"})
    assert response.status_code == 409
    assert STALE in response.content.decode()
    assert response.context["form"]["title"].value() == "My change"  # the form is kept
    records.contact_a.refresh_from_db()
    assert records.contact_a.title == "Set by a colleague"
    assert records.contact_a.version == 2


def test_bad_email_shows_the_error_on_the_email_field(web_for, users, records):
    client = web_for(users.rep_a)
    url = reverse("contact-edit", kwargs={"contact_id": records.contact_a.pk})
    response = client.post(
        url,
        edit_data(records.contact_a, **{"emails-0-value": "", "emails-1-value": "not-an-email"}),
    )
    assert response.status_code == 200
    form = response.context["form"]
    # The blank first row was skipped, so the service's "emails.0" is the form's second row.
    assert form.errors == {"emails-1-value": ["“not-an-email” is not a valid email address."]}
    html = response.content.decode()
    assert (
        'aria-invalid="true" aria-describedby="id_emails-1-value_error" id="id_emails-1-value"'
    ) in html
    assert '<ul class="errorlist" id="id_emails-1-value_error"><li>“not-an-email”' in html
    records.contact_a.refresh_from_db()
    assert records.contact_a.primary_email == "wang.weiming@example.cn"
    assert records.contact_a.version == 1


def test_bad_phone_and_address_errors_land_on_their_fields(web_for, users):
    client = web_for(users.rep_a)
    response = client.post(
        reverse("contact-create"),
        {
            "full_name": "Lê Minh",
            "lifecycle_stage": "lead",
            "source_channel": "other",
            "phones-0-value": "12",
            "addresses-0-kind": "home",
            "addresses-0-city": "Huế",
            "addresses-0-country": "V1",
        },
    )
    errors = response.context["form"].errors
    (phone_error,) = errors["phones-0-value"]
    assert phone_error.startswith("“12” is not a valid phone number in US")
    assert "with its country code, e.g. +84 912 345 678" in phone_error
    assert errors["addresses-0-line1"] == ["Enter the first address line."]
    assert errors["addresses-0-country"] == [
        "Use a country name or a two-letter code such as VN, CN or US."
    ]
    assert not Contact.objects.filter(full_name="Lê Minh").exists()


def test_missing_name_is_reported_on_full_name(web_for, users):
    response = web_for(users.rep_a).post(
        reverse("contact-create"), {"lifecycle_stage": "lead", "source_channel": "other"}
    )
    assert response.context["form"].errors == {"full_name": ["Enter a name."]}


def test_custom_fields_render_and_save(web_for, users, records):
    services.custom_field_create(
        by=users.admin, model="customers.contact", key="segment", label="Segment",
        kind="choice", choices=["SMB", "Enterprise"],
    )  # fmt: skip
    services.custom_field_create(
        by=users.admin, model="customers.contact", key="budget", label="Budget", kind="number"
    )
    client = web_for(users.rep_a)
    url = reverse("contact-edit", kwargs={"contact_id": records.contact_a.pk})
    html = client.get(url).content.decode()
    assert '<select name="custom-segment" id="id_custom-segment">' in html
    assert '<option value="Enterprise">Enterprise</option>' in html

    bad = client.post(url, edit_data(records.contact_a, **{"custom-budget": "lots"}))
    assert bad.context["form"].errors == {"custom-budget": ["Enter a number."]}

    ok = client.post(
        url,
        edit_data(
            records.contact_a, **{"custom-segment": "Enterprise", "custom-budget": "1500.50"}
        ),
    )
    assert ok.status_code == 302
    records.contact_a.refresh_from_db()
    assert records.contact_a.custom == {"segment": "Enterprise", "budget": 1500.5}
    detail = client.get(ok["Location"]).content.decode()
    assert "<dt>Segment</dt><dd>Enterprise</dd>" in detail

    cleared = client.post(url, edit_data(records.contact_a, **{"custom-budget": ""}))
    assert cleared.status_code == 302
    records.contact_a.refresh_from_db()
    assert records.contact_a.custom == {"segment": "Enterprise"}


def test_delete_asks_then_deletes(web_for, users, records):
    client = web_for(users.manager)
    url = reverse("contact-delete", kwargs={"contact_id": records.contact_a.pk})
    assert "Delete 王伟明?" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("contact-list")
    assert not Contact.objects.filter(pk=records.contact_a.pk).exists()


# --- list ---------------------------------------------------------------------------------


@pytest.fixture
def many(users, records):
    """Records plus six more team-A contacts with known names and stages."""
    names = ["Alice Anh", "Bùi Cường", "Chen Jie", "Đặng Dung", "Eve Evans", "Phạm Phúc"]
    for i, name in enumerate(names):
        services.contact_create(
            by=users.rep_a,
            full_name=name,
            lifecycle_stage="customer" if i % 2 else "lead",
            tags=["north"] if i < 3 else [],
        )
    return names


def names_on(response) -> list[str]:
    return [c.full_name for c in response.context["contacts"]]


def test_list_sorts_by_name_both_ways(web_for, users, many):
    client = web_for(users.rep_a)
    ascending = names_on(client.get(reverse("contact-list"), {"sort": "name"}))
    descending = names_on(client.get(reverse("contact-list"), {"sort": "-name"}))
    assert ascending[:3] == ["Alice Anh", "Bùi Cường", "Chen Jie"]
    assert descending == list(reversed(ascending))


def test_list_filters_by_stage_tag_and_owner(web_for, users, many):
    client = web_for(users.manager)
    assert names_on(client.get(reverse("contact-list"), {"stage": "customer"})) == [
        "Bùi Cường",
        "Đặng Dung",
        "Phạm Phúc",
    ]
    assert names_on(client.get(reverse("contact-list"), {"tag": "north"})) == [
        "Alice Anh",
        "Bùi Cường",
        "Chen Jie",
    ]
    assert names_on(client.get(reverse("contact-list"), {"owner": users.rep_b.pk})) == [
        "Trần Thị Bình"
    ]


def test_list_filters_by_custom_field(web_for, users, records):
    services.custom_field_create(
        by=users.admin, model="customers.contact", key="segment", label="Segment",
        kind="choice", choices=["SMB", "Enterprise"],
    )  # fmt: skip
    services.contact_update(
        by=users.rep_a, contact_id=records.contact_a.pk, version=1, custom={"segment": "SMB"}
    )
    client = web_for(users.manager)
    assert names_on(client.get(reverse("contact-list"), {"custom-segment": "SMB"})) == ["王伟明"]
    assert names_on(client.get(reverse("contact-list"), {"custom-segment": "Enterprise"})) == []


def test_keyset_pages_next_and_previous(web_for, users, many, settings):
    settings.KITH_PAGE_SIZE = 3
    client = web_for(users.rep_a)
    first = client.get(reverse("contact-list"))
    assert names_on(first) == ["Alice Anh", "Bùi Cường", "Chen Jie"]
    page = first.context["page"]
    assert page.prev_cursor is None
    assert f'href="?cursor={page.next_cursor}"' in first.content.decode()
    second = client.get(reverse("contact-list"), {"cursor": page.next_cursor})
    assert names_on(second) == ["Đặng Dung", "Eve Evans", "Phạm Phúc"]
    back = client.get(reverse("contact-list"), {"cursor": second.context["page"].prev_cursor})
    assert names_on(back) == ["Alice Anh", "Bùi Cường", "Chen Jie"]


def test_a_broken_cursor_falls_back_to_the_first_page(web_for, users, many):
    response = web_for(users.rep_a).get(reverse("contact-list"), {"cursor": "garbage!"})
    assert response.status_code == 200
    assert names_on(response)[0] == "Alice Anh"


def test_htmx_request_gets_only_the_table_partial(web_for, users, many):
    response = web_for(users.rep_a).get(
        reverse("contact-list"), {"stage": "lead"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="record-table"')
    assert "<html" not in html and 'id="contact-filters"' not in html
    assert "Alice Anh" in html and "Bùi Cường" not in html
    assert response["Vary"] == "Cookie, HX-Request" or "HX-Request" in response["Vary"]


def test_bulk_tag_and_assign(web_for, users, many):
    client = web_for(users.rep_a)
    ids = list(
        Contact.objects.filter(full_name__in=["Alice Anh", "Chen Jie"]).values_list("pk", flat=True)
    )
    back = reverse("contact-list") + "?stage=lead"
    tagged = client.post(
        reverse("contact-bulk"), {"action": "tag", "tag": "trade-fair", "ids": ids, "next": back}
    )
    assert tagged["Location"] == back
    assert Contact.objects.filter(pk__in=ids, tags__name="trade-fair").count() == 2
    assigned = client.post(
        reverse("contact-bulk"), {"action": "assign", "owner": users.rep_a2.pk, "ids": ids},
        follow=True,
    )  # fmt: skip
    assert set(Contact.objects.filter(pk__in=ids).values_list("owner", flat=True)) == {
        users.rep_a2.pk
    }
    assert "Assigned 2 contacts." in assigned.content.decode()


def test_bulk_refuses_an_outside_redirect(web_for, users, many):
    response = web_for(users.rep_a).post(
        reverse("contact-bulk"),
        {"action": "tag", "tag": "x", "ids": [], "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("contact-list")


def test_export_is_the_filtered_list_with_formulas_neutralised(web_for, users, many):
    services.contact_create(
        by=users.rep_a, full_name="=HYPERLINK(\"http://x\")", title="@boss", tags=["north"],
        phones=["+84 912 345 678"],
    )  # fmt: skip
    response = web_for(users.rep_a).get(reverse("contact-export"), {"tag": "north"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="contacts.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffid,full_name,")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    # Sorted by the letters of the names (punctuation does not count): =HYPERLINK under H.
    assert [r["full_name"] for r in rows] == [
        "Alice Anh",
        "Bùi Cường",
        "Chen Jie",
        '\'=HYPERLINK("http://x")',
    ]
    formula = rows[3]
    assert formula["title"] == "'@boss"
    assert formula["phone"] == "'+84912345678"
    assert formula["tags"] == "north"
    assert formula["owner"] == "rep_a"


def test_list_shows_company_filter_from_company_page(web_for, users, records):
    response = web_for(users.rep_a).get(reverse("contact-list"), {"company": records.company_a.pk})
    assert names_on(response) == ["王伟明"]
    assert "Hoa Sen Trading" in response.content.decode()


def test_contacts_list_selector_used_matches_view(web_for, users, records):
    # The page shows exactly what the selector returns for the same user.
    response = web_for(users.rep_b).get(reverse("contact-list"))
    expected = selectors.contacts_list(user=users.rep_b).items
    assert response.context["contacts"] == expected
