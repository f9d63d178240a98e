"""Reads for users, teams and API tokens."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from kith.identity.access import grant_for
from kith.identity.models import ApiToken, Scope, Team, User
from kith.identity.services import TOKEN_PREFIX, token_hash

# Writing last_used_at on every request would turn every API read into a write.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


def user_for_api_token(*, raw: str) -> User | None:
    """The active user owning the unrevoked token `raw` ("kith_<prefix>_<secret>"), else None."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _kith, prefix, secret = parts
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, token_hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first (revoked ones included, marked by revoked_at)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def users_assignable(*, user: User, module: str = "contacts") -> QuerySet[User]:
    """Users that `user` may make the owner of a record: anyone with scope all, teammates with
    scope team, only themselves with scope own."""
    users = User.objects.filter(is_active=True).select_related("team").order_by("username")
    grant = grant_for(user, module)
    if grant is None:
        return users.none()
    if grant.scope == Scope.ALL:
        return users
    if grant.scope == Scope.TEAM and user.team_id is not None:
        return users.filter(team_id=user.team_id)
    return users.filter(pk=user.pk)


def teams_all() -> QuerySet[Team]:
    return Team.objects.select_related("lead").order_by("name")
