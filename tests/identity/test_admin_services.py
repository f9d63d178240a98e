"""Administration services: users, teams, roles and grants (admins only, errors name fields)."""

from __future__ import annotations

import pytest

from kith.core.errors import FieldError, Forbidden, NotFound
from kith.core.models import ChangeRecord
from kith.customers.selectors import ContactFilters, contacts_list
from kith.identity import selectors, services
from kith.identity.models import Role, RoleGrant, User
from tests.conftest import PASSWORD
from tests.factories import make_contact


def test_user_create_by_admin_validates_each_field(users, teams):
    with pytest.raises(FieldError) as exc:
        services.user_create(by=users.admin, username="ADMIN", password=PASSWORD)
    assert list(exc.value.errors) == ["username"]
    with pytest.raises(FieldError) as exc:
        services.user_create(by=users.admin, username="lan", password=PASSWORD, email="not-mail")
    assert list(exc.value.errors) == ["email"]
    with pytest.raises(FieldError) as exc:
        services.user_create(by=users.admin, username="lan", password=PASSWORD, language="fr")
    assert list(exc.value.errors) == ["language"]
    with pytest.raises(FieldError) as exc:
        services.user_create(by=users.admin, username="lan", password="123")
    assert list(exc.value.errors) == ["password"]
    user = services.user_create(
        by=users.admin,
        username="lan",
        password=PASSWORD,
        email="Lan@Example.VN",
        first_name="Lan",
        team=teams.b,
        role_slug="manager",
        language="vi",
    )
    assert (user.email, user.team, user.role.slug, user.language) == (
        "lan@example.vn",
        teams.b,
        "manager",
        "vi",
    )
    assert user.check_password(PASSWORD)
    created = ChangeRecord.objects.filter(model="identity.user", object_id=user.pk, action="create")
    assert created.get().actor_id == users.admin.pk


def test_non_admins_are_refused_everywhere(users, teams):
    rep, manager = users.rep_a, users.manager
    for by in (rep, manager):
        with pytest.raises(Forbidden):
            services.user_create(by=by, username="x", password=PASSWORD)
        with pytest.raises(Forbidden):
            services.user_update(by=by, user_id=users.rep_b.pk, team_id=teams.a.pk)
        with pytest.raises(Forbidden):
            services.user_password_set(by=by, user_id=users.rep_b.pk, password=PASSWORD)
        with pytest.raises(Forbidden):
            services.team_create(by=by, name="Team C")
        with pytest.raises(Forbidden):
            services.team_update(by=by, team_id=teams.a.pk, name="Renamed")
        with pytest.raises(Forbidden):
            services.role_create(by=by, slug="x", name="X")
        with pytest.raises(Forbidden):
            services.role_grants_update(by=by, role_id=rep.role_id, grants={})
        with pytest.raises(Forbidden):
            selectors.users_page(by=by)
        with pytest.raises(Forbidden):
            selectors.roles_with_grants(by=by)
    users.admin.is_active = False
    with pytest.raises(Forbidden):
        selectors.teams_for_admin(by=users.admin)


def test_user_update_changes_team_role_and_records_history(users, teams):
    user = services.user_update(
        by=users.admin,
        user_id=users.rep_a.pk,
        team_id=teams.b.pk,
        role_slug="manager",
        first_name=" Anh ",
        email="ANH@example.vn",
    )
    user.refresh_from_db()
    assert (user.team_id, user.role.slug, user.first_name, user.email) == (
        teams.b.pk,
        "manager",
        "Anh",
        "anh@example.vn",
    )
    changed = dict(
        ChangeRecord.objects.filter(model="identity.user", object_id=user.pk).values_list(
            "field", "new_value"
        )
    )
    assert changed == {
        "team": "Team B",
        "role": "manager",
        "first_name": "Anh",
        "email": "anh@example.vn",
    }


def test_user_update_errors_name_their_fields(users):
    with pytest.raises(FieldError) as exc:
        services.user_update(
            by=users.admin,
            user_id=users.rep_a.pk,
            team_id=999999,
            role_slug="nope",
            email="x@",
            language="de",
        )
    assert sorted(exc.value.errors) == ["email", "language", "role", "team_id"]
    with pytest.raises(FieldError) as exc:
        services.user_update(by=users.admin, user_id=users.rep_a.pk, password="x")
    assert list(exc.value.errors) == ["password"]
    with pytest.raises(NotFound):
        services.user_update(by=users.admin, user_id=999999, first_name="x")


def test_admin_cannot_deactivate_themselves_or_drop_own_admin_role(users):
    with pytest.raises(FieldError) as exc:
        services.user_deactivate(by=users.admin, user_id=users.admin.pk)
    assert exc.value.errors == {"is_active": "You cannot deactivate yourself."}
    second = services.user_create(
        by=users.admin, username="admin2", password=PASSWORD, role_slug="admin"
    )
    with pytest.raises(FieldError) as exc:
        services.user_update(by=second, user_id=second.pk, role_slug="sales_rep")
    assert list(exc.value.errors) == ["role"]
    assert User.objects.get(pk=second.pk).role.slug == "admin"


def test_deactivated_user_can_no_longer_sign_in(users, client):
    services.user_deactivate(by=users.admin, user_id=users.rep_b.pk)
    assert User.objects.get(pk=users.rep_b.pk).is_active is False
    assert client.login(username="rep_b", password=PASSWORD) is False
    services.user_activate(by=users.admin, user_id=users.rep_b.pk)
    assert client.login(username="rep_b", password=PASSWORD) is True


def test_password_reset_by_admin(users):
    with pytest.raises(FieldError) as exc:
        services.user_password_set(by=users.admin, user_id=users.rep_a.pk, password="short")
    assert list(exc.value.errors) == ["password"]
    services.user_password_set(
        by=users.admin, user_id=users.rep_a.pk, password="brand-new-secret-77"
    )
    assert User.objects.get(pk=users.rep_a.pk).check_password("brand-new-secret-77")


def test_team_rename_and_lead(users, teams):
    with pytest.raises(FieldError) as exc:
        services.team_update(by=users.admin, team_id=teams.a.pk, name="team b")
    assert exc.value.errors == {"name": "A team with this name already exists."}
    with pytest.raises(FieldError) as exc:
        services.team_update(by=users.admin, team_id=teams.a.pk, name="  ")
    assert list(exc.value.errors) == ["name"]
    services.user_deactivate(by=users.admin, user_id=users.rep_b.pk)
    with pytest.raises(FieldError) as exc:
        services.team_update(by=users.admin, team_id=teams.a.pk, lead_id=users.rep_b.pk)
    assert list(exc.value.errors) == ["lead_id"]
    team = services.team_update(
        by=users.admin, team_id=teams.a.pk, name="Hà Nội", lead_id=users.manager.pk
    )
    team.refresh_from_db()
    assert (team.name, team.lead_id) == ("Hà Nội", users.manager.pk)
    team = services.team_update(by=users.admin, team_id=teams.a.pk, lead_id=None)
    assert team.lead_id is None
    listed = {t.name: t.member_count for t in selectors.teams_for_admin(by=users.admin)}
    # Team B's only member was deactivated; active members only are counted.
    assert listed == {"Hà Nội": 3, "Team B": 0}


def test_role_create_copies_grants_or_defaults_to_read_own(users):
    blank = services.role_create(by=users.admin, slug="viewer", name="Viewer")
    grants = {g.module: g for g in blank.grants.all()}
    assert grants["contacts"].scope == "own"
    assert [grants["contacts"].allows(r) for r in services.RIGHT_NAMES] == [
        True,
        False,
        False,
        False,
        False,
    ]
    copy = services.role_create(by=users.admin, slug="rep2", name="Rep 2", copy_from="sales_rep")
    copied = {g.module: g for g in copy.grants.all()}
    assert copied["deals"].scope == "team"
    assert [copied["deals"].allows(r) for r in services.RIGHT_NAMES] == [
        True,
        True,
        True,
        False,
        True,
    ]
    with pytest.raises(FieldError) as exc:
        services.role_create(by=users.admin, slug="Viewer!", name="", copy_from="ghost")
    assert sorted(exc.value.errors) == ["copy_from", "name", "slug"]
    with pytest.raises(FieldError) as exc:
        services.role_create(by=users.admin, slug="viewer", name="Again")
    assert list(exc.value.errors) == ["slug"]


def test_role_grants_update_validates_and_applies(users):
    role = Role.objects.get(slug="sales_rep")
    with pytest.raises(FieldError) as exc:
        services.role_grants_update(
            by=users.admin,
            role_id=role.pk,
            grants={"contacts": {"scope": "world"}, "spaceships": {"scope": "all"}},
        )
    assert sorted(exc.value.errors) == ["grants.contacts.scope", "grants.spaceships"]
    services.role_grants_update(
        by=users.admin,
        role_id=role.pk,
        name="Field sales",
        grants={"contacts": {"scope": "own", "read": True, "edit": True}},
    )
    grant = RoleGrant.objects.get(role=role, module="contacts")
    assert (grant.scope, grant.can_read, grant.can_create, grant.can_edit, grant.can_export) == (
        "own",
        True,
        False,
        True,
        False,
    )
    assert Role.objects.get(pk=role.pk).name == "Field sales"
    history = dict(
        ChangeRecord.objects.filter(model="identity.role", object_id=role.pk).values_list(
            "field", "new_value"
        )
    )
    assert history == {"grant.contacts": "own:read,edit", "name": "Field sales"}


def test_grant_change_changes_what_a_rep_sees_on_the_next_request(users):
    mine = make_contact(by=users.rep_a, full_name="Mine")
    make_contact(by=users.rep_a2, full_name="Team-mate's")
    rep = User.objects.get(pk=users.rep_a.pk)
    names = {c.full_name for c in contacts_list(user=rep, filters=ContactFilters()).items}
    assert names == {"Mine", "Team-mate's"}
    services.role_grants_update(
        by=users.admin,
        role_id=rep.role_id,
        grants={"contacts": {"scope": "own", "read": True, "create": True, "edit": True}},
    )
    rep = User.objects.get(pk=users.rep_a.pk)  # a new request loads the user afresh
    page = contacts_list(user=rep, filters=ContactFilters())
    assert [c.pk for c in page.items] == [mine.pk]


def test_users_page_is_keyset_paginated(users):
    first = selectors.users_page(by=users.admin, limit=2)
    assert [u.username for u in first.items] == ["admin", "manager"]
    second = selectors.users_page(by=users.admin, limit=2, cursor=first.next_cursor)
    assert [u.username for u in second.items] == ["rep_a", "rep_a2"]
    found = selectors.users_page(by=users.admin, q="bảo")
    assert [u.username for u in found.items] == ["rep_b"]
