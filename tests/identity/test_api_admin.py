"""/api/v1/admin/…: custom fields, users, teams and roles — administrators only."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.core.models import CustomField
from kith.customers.models import Contact
from kith.identity import services as identity_services
from kith.identity.models import Role, RoleGrant, User
from tests.conftest import PASSWORD
from tests.factories import make_contact

BASE = "/api/v1/admin"


def send(client, method: str, url: str, body: dict | None = None):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


def test_non_admins_get_403_json_on_every_endpoint(api_for, users, teams):
    field = CustomField.objects.create(model="customers.contact", key="k", label="K")
    role = Role.objects.get(slug="sales_rep")
    calls = [
        ("get", f"{BASE}/custom-fields"),
        ("post", f"{BASE}/custom-fields"),
        ("patch", f"{BASE}/custom-fields/{field.pk}"),
        ("delete", f"{BASE}/custom-fields/{field.pk}"),
        ("get", f"{BASE}/users"),
        ("get", f"{BASE}/users/{users.rep_b.pk}"),
        ("post", f"{BASE}/users"),
        ("patch", f"{BASE}/users/{users.rep_b.pk}"),
        ("post", f"{BASE}/users/{users.rep_b.pk}/password"),
        ("get", f"{BASE}/teams"),
        ("post", f"{BASE}/teams"),
        ("patch", f"{BASE}/teams/{teams.a.pk}"),
        ("get", f"{BASE}/roles"),
        ("post", f"{BASE}/roles"),
        ("patch", f"{BASE}/roles/{role.pk}"),
    ]
    bodies = {
        "post": {
            "model": "customers.contact",
            "key": "x",
            "label": "X",
            "username": "x",
            "password": PASSWORD,
            "name": "X",
            "slug": "x",
        },
        "patch": {"label": "Y", "name": "Y", "is_active": False, "grants": {}},
    }
    for user in (users.manager, users.rep_b):
        client = api_for(user)
        for method, url in calls:
            response = send(client, method, url, bodies.get(method))
            assert response.status_code == 403, (user.username, method, url)
            assert response.json()["detail"], url
    assert CustomField.objects.get(pk=field.pk).label == "K"
    assert User.objects.get(pk=users.rep_b.pk).is_active


def test_custom_field_lifecycle(api_for, users):
    api = api_for(users.admin)
    response = send(
        api,
        "post",
        f"{BASE}/custom-fields",
        {"model": "customers.contact", "key": "tier", "label": "Tier", "kind": "choice"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"choices": "A choice field needs at least one choice."}
    response = send(
        api,
        "post",
        f"{BASE}/custom-fields",
        {"model": "customers.contact", "key": "tier", "label": "Tier", "kind": "choice",
         "choices": ["gold", "silver"]},
    )  # fmt: skip
    assert response.status_code == 201
    field_id = response.json()["id"]
    assert response.json() == {
        "id": field_id,
        "model": "customers.contact",
        "key": "tier",
        "label": "Tier",
        "kind": "choice",
        "choices": ["gold", "silver"],
        "required": False,
        "position": 0,
    }
    make_contact(by=users.rep_a, full_name="Lan", custom={"tier": "gold"})
    response = send(api, "patch", f"{BASE}/custom-fields/{field_id}", {"kind": "text"})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "kind": "The type of “Tier” cannot change: 1 records hold a value."
    }
    response = send(api, "patch", f"{BASE}/custom-fields/{field_id}", {"label": "Level"})
    assert (response.status_code, response.json()["label"]) == (200, "Level")
    listed = api.get(f"{BASE}/custom-fields", {"model": "customers.company"})
    assert listed.json() == []
    assert [f["key"] for f in api.get(f"{BASE}/custom-fields").json()] == ["tier"]
    response = api.delete(f"{BASE}/custom-fields/{field_id}")
    assert response.json() == {"removed": 1}
    assert Contact.objects.get(full_name="Lan").custom == {}
    assert api.delete(f"{BASE}/custom-fields/{field_id}").status_code == 404


def test_user_create_update_and_password(api_for, users, teams):
    api = api_for(users.admin)
    response = send(
        api,
        "post",
        f"{BASE}/users",
        {"username": "rep_a", "password": "1", "email": "nope", "team_id": teams.b.pk},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["username"]
    response = send(api, "post", f"{BASE}/users", {"username": "x", "password": PASSWORD,
                                                   "team_id": 987654})  # fmt: skip
    assert response.json()["errors"] == {"team_id": "Choose an existing team."}
    response = send(
        api,
        "post",
        f"{BASE}/users",
        {"username": "thu", "password": PASSWORD, "first_name": "Thu", "email": "thu@example.vn",
         "team_id": teams.b.pk, "role": "manager", "language": "vi"},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("username", "email", "language", "is_active", "team", "role")} == {
        "username": "thu",
        "email": "thu@example.vn",
        "language": "vi",
        "is_active": True,
        "team": {"id": teams.b.pk, "name": "Team B"},
        "role": {"slug": "manager", "name": "Sales manager"},
    }
    thu = body["id"]
    response = send(api, "patch", f"{BASE}/users/{thu}", {"is_active": False, "role": "ghost"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"role": "Unknown role “ghost”."}
    response = send(api, "patch", f"{BASE}/users/{thu}", {"is_active": False, "team_id": None})
    assert (response.json()["is_active"], response.json()["team"]) == (False, None)
    response = send(api, "patch", f"{BASE}/users/{users.admin.pk}", {"is_active": False})
    assert response.json()["errors"] == {"is_active": "You cannot deactivate yourself."}
    response = send(api, "post", f"{BASE}/users/{thu}/password", {"password": "abc"})
    assert list(response.json()["errors"]) == ["password"]
    response = send(api, "post", f"{BASE}/users/{thu}/password", {"password": "new-secret-4321"})
    assert response.status_code == 204
    assert User.objects.get(pk=thu).check_password("new-secret-4321")


def test_users_list_pages_with_fixed_query_count(api_for, users, teams):
    api = api_for(users.admin)

    def count(limit: int) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(f"{BASE}/users", {"limit": limit})
        assert response.status_code == 200
        return len(captured.captured_queries), response.json()

    for i in range(20):
        identity_services.user_create(username=f"u{i:02d}", password=PASSWORD, team=teams.a)
    count(1)  # the token's first use is recorded once; not part of the page's cost
    few, page = count(2)
    many, _ = count(20)
    assert few == many
    assert [u["username"] for u in page["items"]] == ["admin", "manager"]
    following = api.get(f"{BASE}/users", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [u["username"] for u in following["items"]] == ["rep_a", "rep_a2"]
    assert api.get(f"{BASE}/users", {"limit": 0}).json()["errors"].keys() == {"limit"}


def test_teams(api_for, users, teams):
    api = api_for(users.admin)
    response = send(api, "post", f"{BASE}/teams", {"name": "Team A"})
    assert response.json()["errors"] == {"name": "A team with this name already exists."}
    response = send(api, "post", f"{BASE}/teams", {"name": "Sài Gòn", "lead_id": users.rep_b.pk})
    assert response.status_code == 201
    team_id = response.json()["id"]
    assert response.json()["lead"] == {"id": users.rep_b.pk, "name": "Bảo"}
    response = send(api, "patch", f"{BASE}/teams/{team_id}", {"name": "Sài Gòn 2", "lead_id": None})
    assert (response.json()["name"], response.json()["lead"]) == ("Sài Gòn 2", None)
    listed = {t["name"]: t["member_count"] for t in api.get(f"{BASE}/teams").json()}
    assert listed == {"Sài Gòn 2": 0, "Team A": 3, "Team B": 1}
    assert send(api, "patch", f"{BASE}/teams/999999", {"name": "x"}).status_code == 404


def test_roles_and_grant_change_seen_by_rep(api_for, users):
    make_contact(by=users.rep_a2, full_name="Team-mate's customer")
    rep = api_for(users.rep_a)
    assert rep.get("/api/v1/contacts").json()["items"][0]["full_name"] == "Team-mate's customer"
    api = api_for(users.admin)
    roles = {r["slug"]: r for r in api.get(f"{BASE}/roles").json()}
    assert roles["sales_rep"]["grants"]["contacts"] == {
        "scope": "team", "read": True, "create": True, "edit": True, "delete": False,
        "export": True,
    }  # fmt: skip
    role_id = roles["sales_rep"]["id"]
    response = send(
        api, "patch", f"{BASE}/roles/{role_id}", {"grants": {"contacts": {"scope": "mine"}}}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["grants.contacts.scope"]
    response = send(
        api,
        "patch",
        f"{BASE}/roles/{role_id}",
        {"grants": {"contacts": {"scope": "own", "read": True}}},
    )
    assert response.json()["grants"]["contacts"]["scope"] == "own"
    assert response.json()["grants"]["deals"]["scope"] == "team"
    assert rep.get("/api/v1/contacts").json()["items"] == []
    response = send(
        api, "post", f"{BASE}/roles", {"slug": "auditor", "name": "Auditor", "copy_from": "manager"}
    )
    assert response.status_code == 201
    assert response.json()["grants"]["orders"]["scope"] == "all"
    assert RoleGrant.objects.filter(role__slug="auditor").count() == len(response.json()["grants"])


def test_null_is_refused_by_name_except_for_team_and_lead(api_for, users, teams):
    api = api_for(users.admin)
    field = CustomField.objects.create(model="customers.company", key="k", label="K", kind="text")
    response = send(
        api, "patch", f"{BASE}/custom-fields/{field.pk}", {"label": None, "required": True}
    )
    assert (response.status_code, list(response.json()["errors"])) == (422, ["label"])
    assert CustomField.objects.get(pk=field.pk).required is False
    response = send(api, "patch", f"{BASE}/users/{users.rep_a.pk}", {"team_id": None})
    assert (response.json()["first_name"], response.json()["team"]) == ("Ann", None)
    teams.b.lead = users.rep_b
    teams.b.save()
    response = send(api, "patch", f"{BASE}/teams/{teams.b.pk}", {"lead_id": None})
    assert (response.json()["name"], response.json()["lead"]) == ("Team B", None)


def test_openapi_lists_the_admin_endpoints(db):
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    operations = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert operations >= {
        ("/api/v1/admin/custom-fields", "get"),
        ("/api/v1/admin/custom-fields", "post"),
        ("/api/v1/admin/custom-fields/{field_id}", "patch"),
        ("/api/v1/admin/custom-fields/{field_id}", "delete"),
        ("/api/v1/admin/users", "get"),
        ("/api/v1/admin/users", "post"),
        ("/api/v1/admin/users/{user_id}", "get"),
        ("/api/v1/admin/users/{user_id}", "patch"),
        ("/api/v1/admin/users/{user_id}/password", "post"),
        ("/api/v1/admin/teams", "get"),
        ("/api/v1/admin/teams", "post"),
        ("/api/v1/admin/teams/{team_id}", "patch"),
        ("/api/v1/admin/roles", "get"),
        ("/api/v1/admin/roles", "post"),
        ("/api/v1/admin/roles/{role_id}", "patch"),
    }
    # The admin's role schema (with grants) does not replace the one /me answers with.
    me = schema["paths"]["/api/v1/me"]["get"]["responses"]["200"]["content"]["application/json"]
    me_schema = schema["components"]["schemas"][me["schema"]["$ref"].rsplit("/", 1)[1]]
    role_ref = me_schema["properties"]["role"]["anyOf"][0]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][role_ref]["properties"]) == {"slug", "name"}
