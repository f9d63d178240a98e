"""Local phone numbers (#17): "0912 345 678" is read in the contact's country (the form's
picker, the address country), else the user's or the team's region, else the setting; the
error says how to write the number."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kith.core.errors import FieldError
from kith.customers import services
from kith.customers.models import Contact
from kith.identity.models import Team, User


def test_region_order_picker_address_user_team_setting(users, settings) -> None:
    settings.KITH_DEFAULT_PHONE_REGION = "US"
    by = users.rep_a
    picked = services.contact_create(
        by=by, full_name="Lý Hải", phones=["138 0013 8000"], phone_region="CN",
        addresses=[{"kind": "home", "line1": "1 Lê Lợi", "country": "VN"}],
    )  # fmt: skip
    assert picked.primary_phone == "+8613800138000"
    addressed = services.contact_create(
        by=by, full_name="Lan", phones=["0912 345 678"],
        addresses=[{"kind": "home", "line1": "1 Lê Lợi", "city": "Huế", "country": "VN"}],
    )  # fmt: skip
    assert addressed.primary_phone == "+84912345678"
    # An edit of the phones reads them in the stored address's country too.
    services.contact_update(
        by=by, contact_id=addressed.pk, version=addressed.version, phones=["0987 654 321"]
    )
    assert Contact.objects.get(pk=addressed.pk).primary_phone == "+84987654321"

    with pytest.raises(FieldError) as caught:
        services.contact_create(by=by, full_name="Tú", phones=["0912 345 678"])
    message = caught.value.errors["phones.0"]
    assert message.startswith("“0912 345 678” is not a valid phone number in US")
    assert "+84 912 345 678" in message and "choose the contact's country" in message

    Team.objects.filter(pk=by.team_id).update(phone_region="VN")
    by = User.objects.get(pk=by.pk)
    assert services.contact_create(
        by=by, full_name="Tú", phones=["0912 345 678"]
    ).primary_phone == ("+84912345678")
    User.objects.filter(pk=by.pk).update(phone_region="CN")
    by = User.objects.get(pk=by.pk)
    assert services.contact_create(
        by=by, full_name="Wei", phones=["13800138000"]
    ).primary_phone == ("+8613800138000")


def test_the_contact_form_has_the_country_picker(web_for, users) -> None:
    client = web_for(users.rep_a)
    page = client.get(reverse("contact-create")).content.decode()
    assert 'name="phone_region"' in page and '<option value="VN">VN (+84)</option>' in page
    response = client.post(
        reverse("contact-create"),
        {"full_name": "Phạm Thu", "lifecycle_stage": "lead", "source_channel": "other",
         "phones-0-value": "0912 345 678", "phone_region": "VN"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Contact.objects.get(full_name="Phạm Thu").primary_phone == "+84912345678"


def test_an_import_row_with_country_vn_reads_vietnamese_numbers() -> None:
    from kith.customers.importing import CONTACTS
    from kith.intake.pipeline import rows_check

    header = ["Name", "Phone", "Street", "City", "Country"]
    mapping = {"Name": "full_name", "Phone": "phone", "Street": "line1", "City": "city",
               "Country": "country"}  # fmt: skip
    vn, us = rows_check(
        CONTACTS, header, mapping,
        [["Lan", "0912 345 678", "1 Lê Lợi", "Huế", "VN"], ["Tom", "0912 345 678", "", "", ""]],
        [2, 3],
    )  # fmt: skip
    assert vn.problems == []
    assert [p.value for p in vn.values["phones"]] == ["+84912345678"]
    us_errors = us.problems
    assert any(col == "Phone" and "country code" in msg for col, msg in us_errors), us_errors
