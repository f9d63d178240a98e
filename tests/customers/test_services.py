"""Contact and company writes: normalisation, history, versions, access, atomicity."""

from __future__ import annotations

import pytest

from kith.core.errors import FieldError, Forbidden, NotFound, StaleEdit
from kith.core.models import ChangeRecord, CustomField
from kith.customers.models import Company, Contact, ContactPoint
from kith.customers.selectors import contact_history
from kith.customers.services import (
    company_delete,
    company_update,
    consent_record,
    contact_create,
    contact_delete,
    contact_update,
    contacts_bulk_assign,
    contacts_bulk_tag,
    custom_field_create,
    relationship_create,
)
from tests.factories import make_company, make_contact


def test_create_normalises_emails_phones_and_names(users):
    contact = contact_create(
        by=users.rep_a,
        first_name="  Jane ",
        last_name="Doe",
        emails=["  Jane.Doe@Example.COM ", {"value": "jd@work.example", "is_primary": True}],
        phones=["+1 (415) 555-2671", "+84 912 345 678"],
        socials=[{"value": "@janedoe", "label": "twitter"}],
    )
    points = {(p.kind, p.value, p.is_primary) for p in contact.points.all()}
    assert points == {
        ("email", "jane.doe@example.com", False),
        ("email", "jd@work.example", True),
        ("phone", "+14155552671", True),
        ("phone", "+84912345678", False),
        ("social", "@janedoe", True),
    }
    assert contact.full_name == "Jane Doe"
    assert contact.primary_email == "jd@work.example"
    assert contact.primary_phone == "+14155552671"
    assert contact.owner == users.rep_a
    assert contact.team == users.rep_a.team
    assert contact.version == 1


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [("伟明", "王", "王伟明"), ("Văn An", "Nguyễn", "Nguyễn Văn An"), ("Jane", "Doe", "Jane Doe")],
)
def test_full_name_follows_the_culture_of_the_name(users, first, last, expected):
    assert contact_create(by=users.rep_a, first_name=first, last_name=last).full_name == expected


def test_bad_input_names_each_field_and_writes_nothing(users):
    with pytest.raises(FieldError) as exc:
        contact_create(
            by=users.rep_a,
            full_name="X",
            emails=["ok@example.com", "not-an-email"],
            phones=["12"],
            lifecycle_stage="prospect",
            addresses=[{"line1": "1 Main St", "country": "Vietnamland"}],
        )
    assert set(exc.value.errors) == {
        "emails.1",
        "phones.0",
        "lifecycle_stage",
        "addresses.0.country",
    }
    assert "not-an-email" in exc.value.errors["emails.1"]
    assert Contact.objects.count() == 0
    assert ContactPoint.objects.count() == 0
    assert ChangeRecord.objects.count() == 0


def test_name_is_required(users):
    with pytest.raises(FieldError) as exc:
        contact_create(by=users.rep_a, emails=["a@example.com"])
    assert exc.value.errors == {"full_name": "Enter a name."}


def test_update_records_history_and_bumps_version(users):
    contact = make_contact(
        by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@example.com"]
    )
    updated = contact_update(
        by=users.rep_a2,
        contact_id=contact.pk,
        version=1,
        title="CTO",
        emails=["ann@new.example"],
        tags=["vip"],
    )
    assert updated.version == 2
    assert updated.primary_email == "ann@new.example"
    history = contact_history(user=users.rep_a, contact=updated)
    changed = {
        (h.field, h.old_value, h.new_value, h.actor_id) for h in history if h.action == "update"
    }
    assert changed == {
        ("title", "", "CTO", users.rep_a2.pk),
        ("emails", "ann@example.com", "ann@new.example", users.rep_a2.pk),
        ("tags", "", "vip", users.rep_a2.pk),
    }
    assert history[-1].action == "create"


def test_stale_edit_is_refused_and_changes_nothing(users):
    contact = make_contact(by=users.rep_a, full_name="Ann Lee")
    contact_update(by=users.rep_a, contact_id=contact.pk, version=1, title="First")
    with pytest.raises(StaleEdit, match="changed by someone else"):
        contact_update(by=users.rep_a2, contact_id=contact.pk, version=1, title="Second")
    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("First", 2)


def test_unknown_field_is_refused(users):
    contact = make_contact(by=users.rep_a)
    with pytest.raises(FieldError) as exc:
        contact_update(by=users.rep_a, contact_id=contact.pk, version=1, version_hack=3)
    assert list(exc.value.errors) == ["version_hack"]


def test_rep_cannot_touch_another_teams_contact(users):
    contact = make_contact(by=users.rep_b)
    with pytest.raises(NotFound):
        contact_update(by=users.rep_a, contact_id=contact.pk, version=1, title="x")
    with pytest.raises(NotFound):
        contact_delete(by=users.rep_a, contact_id=contact.pk)
    assert contacts_bulk_tag(by=users.rep_a, contact_ids=[contact.pk], add=["x"]) == 0
    assert contact.tags.count() == 0


def test_rep_may_not_delete_but_manager_may(users):
    contact = make_contact(by=users.rep_a)
    with pytest.raises(Forbidden):
        contact_delete(by=users.rep_a, contact_id=contact.pk)
    contact_delete(by=users.manager, contact_id=contact.pk)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert ChangeRecord.objects.filter(object_id=contact.pk, action="delete").count() == 1


def test_rep_cannot_assign_to_another_team(users):
    with pytest.raises(FieldError) as exc:
        contact_create(by=users.rep_a, full_name="X", owner_id=users.rep_b.pk)
    assert list(exc.value.errors) == ["owner_id"]


def test_company_must_be_visible(users):
    other = make_company(by=users.rep_b)
    with pytest.raises(FieldError) as exc:
        contact_create(by=users.rep_a, full_name="X", company_id=other.pk)
    assert list(exc.value.errors) == ["company_id"]


def test_bulk_tag_and_assign(users):
    a = make_contact(by=users.rep_a, tags=["old"])
    b = make_contact(by=users.rep_a)
    assert (
        contacts_bulk_tag(by=users.rep_a, contact_ids=[a.pk, b.pk], add=["vip"], remove=["old"])
        == 2
    )
    assert {t.name for t in a.tags.all()} == {"vip"}
    assert {t.name for t in b.tags.all()} == {"vip"}
    assert contacts_bulk_tag(by=users.rep_a, contact_ids=[a.pk, b.pk], add=["vip"]) == 0
    assert (
        contacts_bulk_assign(by=users.manager, contact_ids=[a.pk, b.pk], owner_id=users.rep_b.pk)
        == 2
    )
    a.refresh_from_db()
    assert (a.owner_id, a.team_id, a.version) == (users.rep_b.pk, users.rep_b.team_id, 3)
    assert ChangeRecord.objects.filter(object_id=a.pk, field="owner", new_value="Bảo").exists()


def test_custom_fields_are_validated_and_typed(users):
    with pytest.raises(Forbidden):
        custom_field_create(by=users.rep_a, model="customers.contact", key="tier", label="Tier")
    custom_field_create(
        by=users.admin,
        model="customers.contact",
        key="tier",
        label="Tier",
        kind="choice",
        choices=["gold", "silver"],
    )
    custom_field_create(
        by=users.admin, model="customers.contact", key="revenue", label="Revenue", kind="number"
    )
    contact = contact_create(
        by=users.rep_a, full_name="X", custom={"tier": "gold", "revenue": "1,200"}
    )
    assert contact.custom == {"tier": "gold", "revenue": 1200}
    with pytest.raises(FieldError) as exc:
        contact_update(
            by=users.rep_a, contact_id=contact.pk, version=1, custom={"tier": "bronze", "nope": 1}
        )
    assert set(exc.value.errors) == {"custom.tier", "custom.nope"}
    assert CustomField.objects.count() == 2


def test_company_rename_refreshes_contact_search_keys(users):
    company = make_company(by=users.rep_a, name="Acme", domain="https://www.Acme.com/about")
    assert company.domain == "acme.com"
    contact = make_contact(by=users.rep_a, company_id=company.pk)
    company_update(by=users.rep_a, company_id=company.pk, version=1, name="Globex")
    contact.refresh_from_db()
    assert "globex" in contact.search_text
    assert "acme" not in contact.search_text.split(" | ")[-1]


def test_company_cannot_be_its_own_ancestor(users):
    parent = make_company(by=users.rep_a, name="Parent")
    child = make_company(by=users.rep_a, name="Child", parent_id=parent.pk)
    with pytest.raises(FieldError) as exc:
        company_update(by=users.rep_a, company_id=parent.pk, version=1, parent_id=child.pk)
    assert list(exc.value.errors) == ["parent_id"]


def test_company_delete_keeps_contacts(users):
    company = make_company(by=users.manager)
    contact = make_contact(by=users.manager, company_id=company.pk)
    company_delete(by=users.manager, company_id=company.pk)
    contact.refresh_from_db()
    assert contact.company_id is None
    assert not Company.objects.filter(pk=company.pk).exists()


def test_relationships_and_consents(users):
    a = make_contact(by=users.rep_a)
    b = make_contact(by=users.rep_a)
    hidden = make_contact(by=users.rep_b)
    relationship_create(
        by=users.rep_a, from_contact_id=a.pk, to_contact_id=b.pk, kind="referred_by"
    )
    with pytest.raises(FieldError):
        relationship_create(
            by=users.rep_a, from_contact_id=a.pk, to_contact_id=hidden.pk, kind="spouse"
        )
    with pytest.raises(FieldError):
        relationship_create(by=users.rep_a, from_contact_id=a.pk, to_contact_id=a.pk, kind="spouse")
    consent = consent_record(
        by=users.rep_a,
        contact_id=a.pk,
        channel="email",
        purpose="marketing",
        status="granted",
        source="web form",
    )
    assert consent.status == "granted"
    with pytest.raises(FieldError) as exc:
        consent_record(
            by=users.rep_a, contact_id=a.pk, channel="fax", purpose="marketing", status="granted"
        )
    assert list(exc.value.errors) == ["channel"]
