"""Reads for users, teams and API tokens."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.apps import SearchHit
from kith.core.errors import NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.identity.access import admin_require, grant_for, is_admin
from kith.identity.access import users_assignable as users_assignable  # its old home
from kith.identity.models import ApiToken, Role, RoleGrant, Scope, Team, User
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


def teams_all() -> QuerySet[Team]:
    """Every team with its lead, by name."""
    return Team.objects.select_related("lead").order_by("name")


def teams_visible(*, user: User, module: str) -> QuerySet[Team]:
    """The teams whose records `user` sees in `module` (for a team filter): all of them with
    scope all, else the user's own team (none when the user has no team)."""
    grant = grant_for(user, module)
    if grant is None or not grant.can_read:
        return Team.objects.none()
    if grant.scope == Scope.ALL:
        return teams_all()
    return teams_all().filter(pk=user.team_id) if user.team_id else Team.objects.none()


# --- administration (every function below refuses non-administrators) ----------------------


def users_page(*, by: User, q: str = "", cursor: str | None = None, limit: int = 50) -> Page[User]:
    """One page of all users (active and not) by username, with team and role loaded;
    `q` matches username, name or email."""
    admin_require(by)
    users = User.objects.select_related("team", "role")
    q = q.strip()
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    return paginate(users, ordering=Ordering("username"), cursor=cursor, limit=limit)


def user_get(*, by: User, user_id: int) -> User:
    """One user with team and role, for an administrator."""
    admin_require(by)
    user = User.objects.select_related("team", "role").filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("Not found."))
    return user


def teams_for_admin(*, by: User) -> QuerySet[Team]:
    """Every team with its lead and `member_count` (active members), by name."""
    admin_require(by)
    return (
        Team.objects.select_related("lead")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name")
    )


def team_get(*, by: User, team_id: int) -> Team:
    admin_require(by)
    team = Team.objects.select_related("lead").filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("Not found."))
    return team


def roles_with_grants(*, by: User) -> QuerySet[Role]:
    """Every role with its grants prefetched (`grant_list`, by module), by name."""
    admin_require(by)
    return Role.objects.prefetch_related(
        Prefetch("grants", queryset=RoleGrant.objects.order_by("module"), to_attr="grant_list")
    ).order_by("name")


def role_get(*, by: User, role_id: int) -> Role:
    """One role with `grant_list` loaded."""
    admin_require(by)
    role = roles_with_grants(by=by).filter(pk=role_id).first()
    if role is None:
        raise NotFound(_("Not found."))
    return role


def roles_all() -> QuerySet[Role]:
    """Roles for choosing one (a user's role), by name."""
    return Role.objects.order_by("name")


def palette_search(*, user: User, query: str, limit: int) -> list[SearchHit]:
    """Users by name or username, for administrators (the only ones with a page to open)."""
    if not is_admin(user):
        return []
    rows = (
        User.objects.filter(is_active=True)
        .filter(
            Q(username__istartswith=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
        .order_by("username")
        .values_list("id", "username", "first_name", "last_name")[:limit]
    )
    return [
        SearchHit("user", gettext_lazy("Users"), f"{first} {last}".strip() or username,
                  username, "settings-user-edit", (pk,))
        for pk, username, first, last in rows
    ]  # fmt: skip
