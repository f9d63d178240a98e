"""Custom field administration: edit rules once values exist, and deleting values in bulk."""

from __future__ import annotations

import pytest

from kith.core.errors import FieldError, Forbidden, StaleEdit
from kith.core.models import ChangeRecord, CustomField
from kith.customers import services
from kith.customers.models import Company, Contact
from kith.customers.services import custom_fields
from tests.factories import make_company, make_contact


@pytest.fixture
def size(users) -> CustomField:
    return services.custom_field_create(
        by=users.admin,
        model="customers.contact",
        key="size",
        label="Size",
        kind="choice",
        choices=["S", "M", "L"],
    )


def test_non_admin_cannot_change_or_delete(users, size):
    with pytest.raises(Forbidden):
        services.custom_field_update(by=users.manager, field_id=size.pk, label="x")
    with pytest.raises(Forbidden):
        services.custom_field_delete(by=users.rep_a, field_id=size.pk)
    assert CustomField.objects.get(pk=size.pk).label == "Size"


def test_key_and_kind_change_only_while_no_values(users, size):
    changed = services.custom_field_update(by=users.admin, field_id=size.pk, key="shirt_size")
    assert changed.key == "shirt_size"
    make_contact(by=users.rep_a, full_name="Lan", custom={"shirt_size": "M"})
    with pytest.raises(FieldError) as exc:
        services.custom_field_update(by=users.admin, field_id=size.pk, key="size", kind="text")
    assert exc.value.errors == {
        "key": "The key of “Size” cannot change: 1 records hold a value.",
        "kind": "The type of “Size” cannot change: 1 records hold a value.",
    }
    assert CustomField.objects.get(pk=size.pk).key == "shirt_size"


def test_choice_held_by_records_cannot_be_removed(users, size):
    make_contact(by=users.rep_a, full_name="Lan", custom={"size": "M"})
    with pytest.raises(FieldError) as exc:
        services.custom_field_update(by=users.admin, field_id=size.pk, choices=["S", "L"])
    assert exc.value.errors == {"choices": "“M” cannot be removed from “Size”: 1 records hold it."}
    updated = services.custom_field_update(
        by=users.admin, field_id=size.pk, choices=["S", "M", "XL"], label="T-shirt", required=True
    )
    updated.refresh_from_db()
    assert (updated.choices, updated.label, updated.required) == (["S", "M", "XL"], "T-shirt", True)
    history = dict(
        ChangeRecord.objects.filter(model="core.customfield", object_id=size.pk)
        .filter(action="update")
        .values_list("field", "new_value")
    )
    assert history == {"choices": "S, M, XL", "label": "T-shirt", "required": "True"}


def test_position_moves_and_renumbers(users, size):
    second = services.custom_field_create(
        by=users.admin, model="customers.contact", key="budget", label="Budget", kind="number"
    )
    third = services.custom_field_create(
        by=users.admin, model="customers.contact", key="since", label="Since", kind="date"
    )
    services.custom_field_update(by=users.admin, field_id=third.pk, position=0)
    order = list(
        CustomField.objects.filter(model="customers.contact").values_list("key", "position")
    )
    assert order == [("since", 0), ("size", 1), ("budget", 2)]
    services.custom_field_update(by=users.admin, field_id=second.pk, position=99)
    assert CustomField.objects.get(pk=second.pk).position == 2


def test_update_validation_names_fields(users, size):
    with pytest.raises(FieldError) as exc:
        services.custom_field_update(
            by=users.admin, field_id=size.pk, label="", choices=[], colour="red"
        )
    assert list(exc.value.errors) == ["colour"]
    with pytest.raises(FieldError) as exc:
        services.custom_field_update(by=users.admin, field_id=size.pk, label=" ", choices=[])
    assert sorted(exc.value.errors) == ["choices", "label"]
    with pytest.raises(FieldError) as exc:
        services.custom_field_update(by=users.admin, field_id=size.pk, key="Bad Key!")
    assert list(exc.value.errors) == ["key"]


def test_delete_removes_values_records_history_and_bumps_versions(users, size):
    holder = make_contact(by=users.rep_a, full_name="Lan", custom={"size": "L"})
    other = make_contact(by=users.rep_b, full_name="Minh")
    company = make_company(by=users.rep_a, name="Hoa Sen")
    services.custom_field_create(
        by=users.admin, model="customers.company", key="size", label="Headcount", kind="number"
    )
    Company.objects.filter(pk=company.pk).update(custom={"size": 40})
    assert services.custom_field_values_count(definition=size) == 1
    removed = services.custom_field_delete(by=users.admin, field_id=size.pk)
    assert removed == 1
    holder_after = Contact.objects.get(pk=holder.pk)
    assert holder_after.custom == {}
    assert holder_after.version == holder.version + 1
    assert Contact.objects.get(pk=other.pk).version == other.version
    # The company field with the same key is untouched.
    assert Company.objects.get(pk=company.pk).custom == {"size": 40}
    entry = ChangeRecord.objects.get(
        model="customers.contact", object_id=holder.pk, field="custom.size"
    )
    assert (entry.old_value, entry.new_value, entry.actor_id) == ("L", "", users.admin.pk)
    assert not CustomField.objects.filter(pk=size.pk).exists()
    assert ChangeRecord.objects.filter(
        model="core.customfield", object_id=size.pk, action="delete"
    ).exists()
    # An edit form opened before the deletion is stale now instead of writing the value back.
    with pytest.raises(StaleEdit):
        services.contact_update(
            by=users.rep_a, contact_id=holder.pk, version=holder.version, title="CEO"
        )


def test_delete_keeps_other_keys_and_works_across_batches(users, size, monkeypatch):
    services.custom_field_create(
        by=users.admin, model="customers.contact", key="budget", label="Budget", kind="number"
    )
    monkeypatch.setattr(custom_fields, "_CUSTOM_BATCH", 2)
    ids = [
        make_contact(by=users.rep_a, full_name=f"P{i}", custom={"size": "S", "budget": i}).pk
        for i in range(5)
    ]
    assert services.custom_field_delete(by=users.admin, field_id=size.pk) == 5
    assert [c.custom for c in Contact.objects.filter(pk__in=ids).order_by("pk")] == [
        {"budget": i} for i in range(5)
    ]
    assert ChangeRecord.objects.filter(field="custom.size", old_value="S").count() == 5
    assert list(
        CustomField.objects.filter(model="customers.contact").values_list("key", "position")
    ) == [("budget", 0)]
