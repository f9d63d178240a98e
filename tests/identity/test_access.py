"""The permission gate: scopes own / team / all and rights per module."""

from __future__ import annotations

import pytest
from django.db import transaction

from kith.core.errors import FieldError, Forbidden, NotFound
from kith.customers.models import Contact
from kith.identity.access import (
    admin_require,
    can,
    for_write,
    is_admin,
    owner_resolve,
    require,
    visible_to,
)
from kith.identity.models import RoleGrant, Scope
from kith.identity.services import roles_ensure_defaults
from tests.factories import make_contact


def _visible(user) -> set[str]:
    return set(
        visible_to(Contact.objects.all(), user=user, module="contacts").values_list(
            "full_name", flat=True
        )
    )


@pytest.fixture
def contacts(users):
    return {
        "a": make_contact(by=users.rep_a, full_name="A"),
        "a2": make_contact(by=users.rep_a2, full_name="A2"),
        "b": make_contact(by=users.rep_b, full_name="B"),
    }


def test_scopes(users, contacts):
    assert _visible(users.rep_a) == {"A", "A2"}  # team scope
    assert _visible(users.rep_b) == {"B"}
    assert _visible(users.manager) == {"A", "A2", "B"}  # all scope
    RoleGrant.objects.filter(role__slug="sales_rep", module="contacts").update(scope=Scope.OWN)
    users.rep_a._kith_grants = None
    assert _visible(users.rep_a) == {"A"}


def test_no_role_or_inactive_sees_nothing(users, contacts):
    users.rep_a.role = None
    users.rep_a._kith_grants = None
    assert _visible(users.rep_a) == set()
    users.rep_b.is_active = False
    assert _visible(users.rep_b) == set()


def test_require_hides_out_of_scope_records(users, contacts):
    require(users.rep_a, "contacts", "edit", contacts["a2"])
    with pytest.raises(NotFound):
        require(users.rep_a, "contacts", "read", contacts["b"])
    with pytest.raises(Forbidden):
        require(users.rep_a, "contacts", "delete", contacts["a"])


def test_default_roles(users):
    assert can(users.rep_a, "contacts", "export") and not can(users.rep_a, "contacts", "delete")
    assert can(users.manager, "companies", "delete")
    assert is_admin(users.admin) and not is_admin(users.manager)
    before = RoleGrant.objects.count()
    roles_ensure_defaults()
    assert RoleGrant.objects.count() == before  # idempotent


def test_for_write_locks_only_records_in_scope_with_the_right(users, contacts):
    with transaction.atomic():
        got = for_write(
            Contact, module="contacts", by=users.rep_a, pk=contacts["a2"].pk, right="edit"
        )
        assert got == contacts["a2"]
        with pytest.raises(NotFound):
            for_write(Contact, module="contacts", by=users.rep_a, pk=contacts["b"].pk, right="edit")
        with pytest.raises(Forbidden):  # reps may not delete
            for_write(
                Contact, module="contacts", by=users.rep_a, pk=contacts["a"].pk, right="delete"
            )


def test_owner_resolve_allows_only_assignable_users(users):
    assert owner_resolve(by=users.rep_a, owner_id=None, module="contacts") == users.rep_a
    assert owner_resolve(by=users.rep_a, owner_id="", module="contacts") == users.rep_a
    assert (
        owner_resolve(by=users.rep_a, owner_id=users.rep_a2.pk, module="contacts") == users.rep_a2
    )
    with pytest.raises(FieldError) as caught:
        owner_resolve(by=users.rep_a, owner_id=users.rep_b.pk, module="contacts")
    assert list(caught.value.errors) == ["owner_id"]
    errors: dict[str, str] = {}
    assert (
        owner_resolve(by=users.rep_a, owner_id=users.rep_b.pk, module="tickets", errors=errors)
        == users.rep_a
    )
    assert list(errors) == ["owner_id"]


def test_admin_require_refuses_everyone_but_administrators(users):
    admin_require(users.admin)
    with pytest.raises(Forbidden, match=r"Only administrators can design web forms\."):
        admin_require(users.manager, message="Only administrators can design web forms.")
    with pytest.raises(Forbidden, match=r"Only administrators can change settings\."):
        admin_require(users.rep_a)
