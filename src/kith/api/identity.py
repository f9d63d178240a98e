"""The caller: who they are (/me) and their personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status

from kith.api.auth import ApiRequest, session_auth
from kith.api.schemas import ERRORS, Ref, named_ref
from kith.identity import selectors, services

router = Router(tags=["identity"])


class RoleOut(Schema):
    slug: str
    name: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    language: str
    is_superuser: bool
    team: Ref | None
    role: RoleOut | None

    @staticmethod
    def resolve_name(user: Any) -> str:
        return user.get_full_name()

    @staticmethod
    def resolve_team(user: Any) -> dict[str, Any] | None:
        return named_ref(user.team)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str


class TokenIn(Schema):
    name: str


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: ApiRequest) -> Any:
    """The signed-in user."""
    return request.auth


@router.get("/tokens", response={200: list[TokenOut], **ERRORS})
def tokens_list(request: ApiRequest) -> Any:
    """The caller's API tokens, newest first; revoked ones have `revoked_at` set."""
    return selectors.api_tokens_of(user=request.auth)


# Only a signed-in browser may mint tokens: a leaked token must not be able to create
# successors that outlive its own revocation.
@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, auth=session_auth)
def token_create(request: ApiRequest, payload: TokenIn) -> Any:
    """A new token. `token` ("kith_<prefix>_<secret>") is shown this once and never again."""
    token, secret = services.api_token_create(user=request.auth, name=payload.name)
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "token": secret})


@router.delete("/tokens/{int:token_id}", response={204: None, **ERRORS})
def token_revoke(request: ApiRequest, token_id: int) -> Any:
    """Revoke a token; requests using it get 401 from now on."""
    services.api_token_revoke(by=request.auth, token_id=token_id)
    return Status(204, None)
