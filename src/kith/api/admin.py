"""Administration under /admin/…: custom fields, users, teams, roles and grants.

Administrators only (kith.identity.access.is_admin); everyone else gets 403. Validation errors
name the field, as everywhere in the API.
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, Ref, named_ref, user_ref
from kith.core.custom_fields import custom_fields_of
from kith.core.errors import FieldError, NotFound
from kith.core.models import CustomField
from kith.customers import services as customer_services
from kith.identity import selectors, services
from kith.identity.access import MODULES, admin_require
from kith.identity.models import Role, Team, User

router = Router(tags=["admin"])

MAX_PAGE_SIZE = 200
CUSTOM_MODELS = ("customers.contact", "customers.company")


# --- custom fields ----------------------------------------------------------------------------


class AdminCustomFieldOut(Schema):
    id: int
    model: str
    key: str
    label: str
    kind: str
    choices: list[Any]
    required: bool
    position: int


class AdminCustomFieldIn(Schema):
    model: Literal["customers.contact", "customers.company"]
    key: str
    label: str
    kind: Literal["text", "number", "date", "choice"] = "text"
    choices: list[str] = []
    required: bool = False


class AdminCustomFieldPatch(Schema):
    key: str = None  # type: ignore[assignment]
    label: str = None  # type: ignore[assignment]
    kind: Literal["text", "number", "date", "choice"] = None  # type: ignore[assignment]
    choices: list[str] = None  # type: ignore[assignment]
    required: bool = None  # type: ignore[assignment]
    position: int = Field(None, ge=0, description="0 = first")  # type: ignore[assignment]


class AdminRemovedOut(Schema):
    removed: int = Field(description="records that lost their value")


def _definition(field_id: int) -> CustomField:
    definition = CustomField.objects.filter(pk=field_id).first()
    if definition is None:
        raise NotFound()
    return definition


@router.get("/admin/custom-fields", response={200: list[AdminCustomFieldOut], **ERRORS})
def custom_fields_list(request: ApiRequest, model: str = "") -> Any:
    """Custom field definitions in display order; `model` narrows to one model."""
    admin_require(request.auth)
    models = [model] if model in CUSTOM_MODELS else list(CUSTOM_MODELS)
    return [definition for m in models for definition in custom_fields_of(m)]


@router.post("/admin/custom-fields", response={201: AdminCustomFieldOut, **ERRORS})
def custom_field_create(request: ApiRequest, payload: AdminCustomFieldIn) -> Any:
    definition = customer_services.custom_field_create(by=request.auth, **payload.model_dump())
    return Status(201, definition)


@router.patch("/admin/custom-fields/{int:field_id}", response={200: AdminCustomFieldOut, **ERRORS})
def custom_field_update(request: ApiRequest, field_id: int, payload: AdminCustomFieldPatch) -> Any:
    """Change label, choices, required or position; key and kind only while no record holds a
    value (otherwise 422 naming the field)."""
    changes = payload.model_dump(exclude_unset=True)
    return customer_services.custom_field_update(by=request.auth, field_id=field_id, **changes)


@router.delete("/admin/custom-fields/{int:field_id}", response={200: AdminRemovedOut, **ERRORS})
def custom_field_delete(request: ApiRequest, field_id: int) -> Any:
    """Delete the definition and remove its values from every record (kept in their history)."""
    admin_require(request.auth)
    _definition(field_id)
    return {"removed": customer_services.custom_field_delete(by=request.auth, field_id=field_id)}


# --- users ------------------------------------------------------------------------------------


class AdminRoleRef(Schema):
    slug: str
    name: str


class AdminUserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    language: str
    is_active: bool
    is_superuser: bool
    team: Ref | None
    role: AdminRoleRef | None

    @staticmethod
    def resolve_team(user: User) -> dict[str, Any] | None:
        return named_ref(user.team)


class AdminUserPage(Schema):
    items: list[AdminUserOut]
    next_cursor: str | None
    prev_cursor: str | None


class AdminUserListParams(Schema):
    q: str = Field("", description="part of the username, name or email")
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class AdminUserIn(Schema):
    username: str
    password: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    team_id: int | None = None
    role: str = Field("sales_rep", description="role slug")
    language: str = ""


class AdminUserPatch(Schema):
    first_name: str = None  # type: ignore[assignment]
    last_name: str = None  # type: ignore[assignment]
    email: str = None  # type: ignore[assignment]
    team_id: int | None = None
    role: str = Field(None, description="role slug")  # type: ignore[assignment]
    language: str = None  # type: ignore[assignment]
    is_active: bool = None  # type: ignore[assignment]


class AdminPasswordIn(Schema):
    password: str


@router.get("/admin/users", response={200: AdminUserPage, **ERRORS})
def users_list(request: ApiRequest, params: Query[AdminUserListParams]) -> Any:
    """Every user (inactive ones too) by username, one page at a time."""
    page = selectors.users_page(
        by=request.auth, q=params.q, cursor=params.cursor, limit=params.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@router.get("/admin/users/{int:user_id}", response={200: AdminUserOut, **ERRORS})
def user_detail(request: ApiRequest, user_id: int) -> Any:
    return selectors.user_get(by=request.auth, user_id=user_id)


@router.post("/admin/users", response={201: AdminUserOut, **ERRORS})
def user_create(request: ApiRequest, payload: AdminUserIn) -> Any:
    data = payload.model_dump()
    team = None
    if data["team_id"] is not None:
        admin_require(request.auth)
        team = Team.objects.filter(pk=data["team_id"]).first()
        if team is None:
            raise FieldError.one("team_id", _("Choose an existing team."))
    user = services.user_create(
        by=request.auth,
        username=data["username"],
        password=data["password"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=data["email"],
        team=team,
        role_slug=data["role"],
        language=data["language"],
    )
    return Status(201, selectors.user_get(by=request.auth, user_id=user.pk))


@router.patch("/admin/users/{int:user_id}", response={200: AdminUserOut, **ERRORS})
def user_update(request: ApiRequest, user_id: int, payload: AdminUserPatch) -> Any:
    """Change name, email, team, role, language or `is_active` (deactivate instead of delete:
    an inactive user cannot sign in; their records and history stay)."""
    changes = payload.model_dump(exclude_unset=True)  # team_id null: no team
    if "role" in changes:
        changes["role_slug"] = changes.pop("role")
    services.user_update(by=request.auth, user_id=user_id, **changes)
    return selectors.user_get(by=request.auth, user_id=user_id)


@router.post("/admin/users/{int:user_id}/password", response={204: None, **ERRORS})
def user_password_set(request: ApiRequest, user_id: int, payload: AdminPasswordIn) -> Any:
    services.user_password_set(by=request.auth, user_id=user_id, password=payload.password)
    return Status(204, None)


# --- teams ------------------------------------------------------------------------------------


class AdminTeamOut(Schema):
    id: int
    name: str
    lead: Ref | None
    member_count: int

    @staticmethod
    def resolve_lead(team: Team) -> dict[str, Any] | None:
        return user_ref(team.lead) if team.lead is not None else None


class AdminTeamIn(Schema):
    name: str
    lead_id: int | None = None


class AdminTeamPatch(Schema):
    name: str = None  # type: ignore[assignment]
    lead_id: int | None = None


@router.get("/admin/teams", response={200: list[AdminTeamOut], **ERRORS})
def teams_list(request: ApiRequest) -> Any:
    """Every team with its lead and number of active members, by name."""
    return list(selectors.teams_for_admin(by=request.auth))


def _team_out(request: ApiRequest, team_id: int) -> Team:
    team = selectors.teams_for_admin(by=request.auth).filter(pk=team_id).first()
    if team is None:
        raise NotFound()
    return team


@router.post("/admin/teams", response={201: AdminTeamOut, **ERRORS})
def team_create(request: ApiRequest, payload: AdminTeamIn) -> Any:
    team = services.team_create(by=request.auth, name=payload.name)
    if payload.lead_id is not None:
        services.team_update(by=request.auth, team_id=team.pk, lead_id=payload.lead_id)
    return Status(201, _team_out(request, team.pk))


@router.patch("/admin/teams/{int:team_id}", response={200: AdminTeamOut, **ERRORS})
def team_update(request: ApiRequest, team_id: int, payload: AdminTeamPatch) -> Any:
    """Rename (`name`) or set the lead (`lead_id`; null for none)."""
    changes = payload.model_dump(exclude_unset=True)  # lead_id null: no lead
    services.team_update(by=request.auth, team_id=team_id, **changes)
    return _team_out(request, team_id)


# --- roles ------------------------------------------------------------------------------------


class AdminGrantOut(Schema):
    scope: Literal["own", "team", "all"]
    read: bool
    create: bool
    edit: bool
    delete: bool
    export: bool


class AdminGrantIn(Schema):
    scope: str
    read: bool = False
    create: bool = False
    edit: bool = False
    delete: bool = False
    export: bool = False


class AdminRoleOut(Schema):
    id: int
    slug: str
    name: str
    grants: dict[str, AdminGrantOut] = Field(description="per module: scope and rights")

    @staticmethod
    def resolve_grants(role: Role) -> dict[str, dict[str, Any]]:
        return {
            g.module: {"scope": g.scope, **{r: g.allows(r) for r in services.RIGHT_NAMES}}
            for g in role.grant_list  # type: ignore[attr-defined]
        }


class AdminRoleIn(Schema):
    slug: str
    name: str
    copy_from: str = Field("", description="slug of a role whose grants to start from")


class AdminRolePatch(Schema):
    name: str = None  # type: ignore[assignment]
    grants: dict[str, AdminGrantIn] = Field(
        None,  # type: ignore[arg-type]
        description=f"per module ({', '.join(MODULES)}); modules left out keep their grant",
    )


@router.get("/admin/roles", response={200: list[AdminRoleOut], **ERRORS})
def roles_list(request: ApiRequest) -> Any:
    """Every role with its grant on each module."""
    return list(selectors.roles_with_grants(by=request.auth))


@router.post("/admin/roles", response={201: AdminRoleOut, **ERRORS})
def role_create(request: ApiRequest, payload: AdminRoleIn) -> Any:
    role = services.role_create(by=request.auth, **payload.model_dump())
    return Status(201, selectors.role_get(by=request.auth, role_id=role.pk))


@router.patch("/admin/roles/{int:role_id}", response={200: AdminRoleOut, **ERRORS})
def role_update(request: ApiRequest, role_id: int, payload: AdminRolePatch) -> Any:
    """Rename the role or change grants; holders get the new rights on their next request."""
    changes = payload.model_dump(exclude_unset=True)
    services.role_grants_update(
        by=request.auth,
        role_id=role_id,
        grants=changes.get("grants") or {},
        name=changes.get("name"),
    )
    return selectors.role_get(by=request.auth, role_id=role_id)
