"""Admin settings pages: only administrators get in; forms show the services' errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kith.core.errors import FieldError
from kith.core.models import CustomField
from kith.customers import services as customer_services
from kith.customers.models import Contact
from kith.identity import services as identity_services
from kith.identity.access import MODULES
from kith.identity.models import Role, RoleGrant, Team, User
from tests.conftest import PASSWORD
from tests.factories import make_contact


@pytest.fixture
def field(users) -> CustomField:
    return customer_services.custom_field_create(
        by=users.admin, model="customers.contact", key="budget", label="Budget", kind="number"
    )


def _doors(field, users, teams) -> list[str]:
    role = Role.objects.get(slug="sales_rep")
    return [
        reverse("settings-home"),
        reverse("settings-field-list"),
        reverse("settings-field-create") + "?model=company",
        reverse("settings-field-edit", args=[field.pk]),
        reverse("settings-field-delete", args=[field.pk]),
        reverse("settings-user-list"),
        reverse("settings-user-create"),
        reverse("settings-user-edit", args=[users.rep_b.pk]),
        reverse("settings-user-password", args=[users.rep_b.pk]),
        reverse("settings-team-list"),
        reverse("settings-team-edit", args=[teams.a.pk]),
        reverse("settings-role-list"),
        reverse("settings-role-grants", args=[role.pk]),
    ]


def test_every_settings_door_is_403_for_non_admins(web_for, users, teams, field):
    for user in (users.manager, users.rep_a):
        client = web_for(user)
        for url in _doors(field, users, teams):
            assert client.get(url).status_code == 403, url
            assert (
                client.post(url, {"name": "x", "label": "x", "password": "x"}).status_code == 403
            ), url
    assert CustomField.objects.filter(pk=field.pk).exists()
    assert User.objects.get(pk=users.rep_b.pk).check_password(PASSWORD)
    # Signed-out visitors are sent to the sign-in page instead.
    response = Client().get(reverse("settings-user-list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_every_settings_page_renders_for_admin(web_for, users, teams, field):
    client = web_for(users.admin)
    for url in _doors(field, users, teams)[1:-1]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get(reverse("settings-home")).url == reverse("settings-field-list")


def test_settings_link_only_in_admins_menu(web_for, users):
    link = f'href="{reverse("settings-home")}"'
    assert link in web_for(users.admin).get(reverse("account")).content.decode()
    assert link not in web_for(users.manager).get(reverse("account")).content.decode()
    role_admin = identity_services.user_create(
        by=users.admin, username="boss", password=PASSWORD, role_slug="admin"
    )
    assert link in web_for(role_admin).get(reverse("account")).content.decode()


def test_custom_field_create_edit_and_delete(web_for, users):
    client = web_for(users.admin)
    response = client.post(
        reverse("settings-field-create") + "?model=company",
        {"key": "tier", "label": "Tier", "kind": "choice", "choices": "Gold\nSilver\n"},
    )
    assert response.status_code == 302
    tier = CustomField.objects.get(key="tier")
    assert (tier.model, tier.choices, tier.position) == ("customers.company", ["Gold", "Silver"], 0)
    response = client.post(
        reverse("settings-field-create") + "?model=company",
        {"key": "tier", "label": "Again", "kind": "text"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["key"] == [
        "This model already has a field with this key."
    ]
    response = client.post(
        reverse("settings-field-edit", args=[tier.pk]),
        {
            "key": "level",
            "label": "Level",
            "kind": "choice",
            "choices": "Gold\nBronze",
            "position": "1",
        },
    )
    assert response.status_code == 302
    tier.refresh_from_db()
    assert (tier.key, tier.label, tier.choices) == ("level", "Level", ["Gold", "Bronze"])


def test_custom_field_with_values_fixes_key_and_kind_and_confirms_delete(web_for, users, field):
    make_contact(by=users.rep_a, full_name="Lan", custom={"budget": 5000})
    make_contact(by=users.rep_b, full_name="Minh", custom={"budget": 70})
    client = web_for(users.admin)
    page = client.get(reverse("settings-field-edit", args=[field.pk])).content.decode()
    assert "Fixed: 2 records hold a value for this field." in page
    # A forged post cannot change the fixed key: the disabled field keeps its value.
    response = client.post(
        reverse("settings-field-edit", args=[field.pk]),
        {"key": "spend", "label": "Yearly budget", "kind": "text", "position": "1"},
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.kind, field.label) == ("budget", "number", "Yearly budget")
    confirm = client.get(reverse("settings-field-delete", args=[field.pk]))
    assert 'data-held="2"' in confirm.content.decode()
    assert "2 records hold a value for this field" in confirm.content.decode()
    response = client.post(reverse("settings-field-delete", args=[field.pk]), follow=True)
    assert "2 records lost their value" in response.content.decode()
    assert Contact.objects.filter(custom__has_key="budget").count() == 0


def test_user_list_query_count_does_not_grow(web_for, users, teams):
    client = web_for(users.admin)
    url = reverse("settings-user-list")
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured.captured_queries)

    few = count()
    for i in range(30):
        identity_services.user_create(
            username=f"user{i:02d}", password=PASSWORD, team=teams.b if i % 2 else teams.a
        )
    many = count()
    assert len(client.get(url).context["users_list"]) == 35
    assert few == many


def test_user_list_pages_and_filters(web_for, users, settings):
    settings.KITH_PAGE_SIZE = 2
    client = web_for(users.admin)
    first = client.get(reverse("settings-user-list"))
    assert [u.username for u in first.context["users_list"]] == ["admin", "manager"]
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("settings-user-list"), {"cursor": cursor})
    assert [u.username for u in second.context["users_list"]] == ["rep_a", "rep_a2"]
    found = client.get(reverse("settings-user-list"), {"q": "rep_b"}, HTTP_HX_REQUEST="true")
    assert [u.username for u in found.context["users_list"]] == ["rep_b"]
    assert b"<html" not in found.content


def test_user_create_edit_and_password(web_for, users, teams):
    client = web_for(users.admin)
    response = client.post(
        reverse("settings-user-create"),
        {"username": "rep_a", "password": PASSWORD, "role": "sales_rep"},
    )
    assert response.context["form"].errors["username"] == ["This username is taken."]
    response = client.post(
        reverse("settings-user-create"),
        {
            "username": "hoa",
            "first_name": "Hoa",
            "email": "hoa@example.vn",
            "team": teams.b.pk,
            "role": "manager",
            "language": "vi",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    hoa = User.objects.get(username="hoa")
    assert (hoa.team_id, hoa.role.slug, hoa.language) == (teams.b.pk, "manager", "vi")
    response = client.post(
        reverse("settings-user-edit", args=[hoa.pk]),
        {"first_name": "Hoa", "team": teams.a.pk, "role": "sales_rep", "is_active": ""},
    )
    assert response.status_code == 302
    hoa.refresh_from_db()
    assert (hoa.team_id, hoa.role.slug, hoa.is_active) == (teams.a.pk, "sales_rep", False)
    response = client.post(
        reverse("settings-user-password", args=[hoa.pk]),
        {"password": "short", "password_again": "short"},
    )
    assert response.context["form"].errors["password"]
    response = client.post(
        reverse("settings-user-password", args=[hoa.pk]),
        {"password": "fresh-secret-9876", "password_again": "fresh-secret-9876"},
    )
    assert response.status_code == 302
    hoa.refresh_from_db()
    assert hoa.check_password("fresh-secret-9876")


def test_admin_cannot_deactivate_or_demote_themselves_in_the_ui(web_for, users):
    second = identity_services.user_create(
        by=users.admin, username="admin2", password=PASSWORD, role_slug="admin"
    )
    client = web_for(second)
    response = client.post(
        reverse("settings-user-edit", args=[second.pk]), {"role": "sales_rep", "is_active": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [
        "You cannot take away your own administrator role."
    ]
    second.refresh_from_db()
    assert (second.is_active, second.role.slug) == (True, "admin")


def test_team_create_rename_and_lead(web_for, users, teams):
    client = web_for(users.admin)
    response = client.post(reverse("settings-team-list"), {"name": "team a"})
    assert response.context["form"].errors["name"] == ["A team with this name already exists."]
    assert client.post(reverse("settings-team-list"), {"name": "Đà Nẵng"}).status_code == 302
    team = Team.objects.get(name="Đà Nẵng")
    response = client.post(
        reverse("settings-team-edit", args=[team.pk]),
        {"name": "Đà Nẵng South", "lead": users.rep_b.pk},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.lead_id) == ("Đà Nẵng South", users.rep_b.pk)


def _grid_post(role: Role, **overrides: dict[str, object]) -> dict[str, str]:
    data = {"name": role.name}
    # As the page posts it: every module's row, "own" where the role has no grant yet.
    for module in MODULES:
        data[f"{module}-scope"] = "own"
    for grant in role.grants.all():
        data[f"{grant.module}-scope"] = grant.scope
        for right in ("read", "create", "edit", "delete", "export"):
            if grant.allows(right):
                data[f"{grant.module}-{right}"] = "on"
    for module, values in overrides.items():
        for right in ("read", "create", "edit", "delete", "export"):
            data.pop(f"{module}-{right}", None)
        for key, value in values.items():
            data[f"{module}-{key}"] = value
    return data


def test_role_grid_change_applies_to_a_reps_next_request(web_for, users):
    make_contact(by=users.rep_a2, full_name="Team-mate's customer")
    rep = web_for(users.rep_a)
    assert "Team-mate" in rep.get(reverse("contact-list")).content.decode()
    role = Role.objects.get(slug="sales_rep")
    admin = web_for(users.admin)
    response = admin.post(
        reverse("settings-role-grants", args=[role.pk]),
        _grid_post(role, contacts={"scope": "own", "read": "on", "edit": "on"}),
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(role=role, module="contacts")
    assert (grant.scope, grant.can_create, grant.can_edit, grant.can_export) == (
        "own",
        False,
        True,
        False,
    )
    assert RoleGrant.objects.get(role=role, module="deals").scope == "team"
    assert "Team-mate" not in rep.get(reverse("contact-list")).content.decode()


def test_role_grid_refuses_bad_scope_and_creates_roles(web_for, users):
    role = Role.objects.get(slug="sales_rep")
    admin = web_for(users.admin)
    response = admin.post(
        reverse("settings-role-grants", args=[role.pk]),
        _grid_post(role, contacts={"scope": "galaxy", "read": "on"}),
    )
    assert response.status_code == 422
    assert "grants.contacts.scope" in response.content.decode()
    assert RoleGrant.objects.get(role=role, module="contacts").scope == "team"
    response = admin.post(
        reverse("settings-role-list"),
        {"name": "Support", "slug": "support", "copy_from": "manager"},
    )
    assert response.status_code == 302
    support = Role.objects.get(slug="support")
    # A grant on every module: the manager's where it has one (automation is admins' only).
    assert support.grants.count() == len(MODULES)
    manager = {g.module: g.scope for g in RoleGrant.objects.filter(role__slug="manager")}
    assert {g.module: g.scope for g in support.grants.all() if g.module in manager} == manager
    response = admin.post(reverse("settings-role-list"), {"name": "S", "slug": "Bad Slug"})
    assert response.context["form"].errors["slug"] == [
        "Use up to 32 lower-case letters, digits and underscores."
    ]


@pytest.mark.parametrize(
    ("language", "heading", "error"),
    [
        ("zh-hans", "自定义字段", "您不能停用自己的账户。"),
        ("vi", "Trường tùy chỉnh", "Bạn không thể tự vô hiệu hóa tài khoản của mình."),
    ],
)
def test_settings_pages_and_service_errors_are_translated(web_for, users, language, heading, error):
    client = web_for(users.admin)
    client.post(reverse("language-set"), {"language": language, "next": "/settings/"})
    assert heading in client.get(reverse("settings-field-list")).content.decode()
    response = client.post(
        reverse("settings-user-edit", args=[users.admin.pk]), {"role": "admin", "is_active": ""}
    )
    # The disabled "active" box keeps the admin active, so the form saves; the API path refuses.
    assert response.status_code == 302
    assert User.objects.get(pk=users.admin.pk).is_active is True
    with translation.override(language), pytest.raises(FieldError) as exc:
        identity_services.user_deactivate(by=users.admin, user_id=users.admin.pk)
    assert exc.value.errors == {"is_active": error}
