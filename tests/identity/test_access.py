"""The permission gate: scopes own / team / all and rights per module."""

from __future__ import annotations

import pytest

from kith.core.errors import Forbidden, NotFound
from kith.customers.models import Contact
from kith.identity.access import can, is_admin, require, visible_to
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
