"""Writes for users, teams, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.identity.access import MODULES
from kith.identity.models import ApiToken, Role, RoleGrant, Scope, Team, User

# slug -> (name, scope, rights). Rights beyond read: create, edit, delete, export.
DEFAULT_ROLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "admin": ("Administrator", Scope.ALL, ("create", "edit", "delete", "export")),
    "manager": ("Sales manager", Scope.ALL, ("create", "edit", "delete", "export")),
    "sales_rep": ("Sales representative", Scope.TEAM, ("create", "edit", "export")),
}
TOKEN_PREFIX = "kith"


def roles_ensure_defaults() -> dict[str, Role]:
    """Create the admin, manager and sales-rep roles with a grant on every module. Idempotent:
    existing grants are left as an admin may have tuned them; missing modules are added."""
    roles: dict[str, Role] = {}
    with transaction.atomic():
        for slug, (name, scope, rights) in DEFAULT_ROLES.items():
            role, _created = Role.objects.get_or_create(slug=slug, defaults={"name": name})
            have = set(role.grants.values_list("module", flat=True))
            RoleGrant.objects.bulk_create(
                [
                    RoleGrant(
                        role=role,
                        module=module,
                        scope=scope,
                        can_read=True,
                        **{f"can_{right}": True for right in rights},
                    )
                    for module in MODULES
                    if module not in have
                ]
            )
            roles[slug] = role
    return roles


def team_create(*, name: str, lead: User | None = None) -> Team:
    """A team; names are unique."""
    name = name.strip()
    if not name:
        raise FieldError.one("name", _("Enter a team name."))
    if Team.objects.filter(name=name).exists():
        raise FieldError.one("name", _("A team with this name already exists."))
    return Team.objects.create(name=name, lead=lead)


def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    role_slug: str = "sales_rep",
    is_superuser: bool = False,
    language: str = "",
) -> User:
    """A user with a role (created on demand from the defaults) and a team."""
    username = username.strip()
    if not username:
        raise FieldError.one("username", _("Enter a username."))
    if User.objects.filter(username=username).exists():
        raise FieldError.one("username", _("This username is taken."))
    if role_slug not in DEFAULT_ROLES and not Role.objects.filter(slug=role_slug).exists():
        raise FieldError.one("role", _("Unknown role “%(role)s”.") % {"role": role_slug})
    with transaction.atomic():
        role = Role.objects.filter(slug=role_slug).first() or roles_ensure_defaults()[role_slug]
        user = User(
            username=username,
            email=email.strip().lower(),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            team=team,
            role=role,
            is_superuser=is_superuser,
            is_staff=is_superuser,
            language=language,
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise FieldError.one("password", " ".join(exc.messages)) from exc
        user.set_password(password)
        user.save()
    return user


def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    """Change the user's own password after checking the old one."""
    if not user.check_password(old_password):
        raise FieldError.one("old_password", _("Your old password was entered incorrectly."))
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise FieldError.one("new_password", " ".join(exc.messages)) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])


def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's interface language ("" follows the browser)."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language and language not in codes:
        raise FieldError.one(
            "language", _("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(codes))}
        )
    user.language = language
    user.save(update_fields=["language"])


def token_hash(secret: str) -> str:
    """SHA-256 of a token secret. Tokens are long random strings, so no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; the returned secret is shown once and never stored."""
    name = name.strip()
    if not name:
        raise FieldError.one("name", _("Name the token, e.g. after the script that uses it."))
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:80], prefix=prefix, secret_hash=token_hash(secret)
    )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_token_revoke(*, by: User, token_id: int) -> None:
    """Revoke one of `by`'s tokens (an admin may revoke anyone's)."""
    tokens = ApiToken.objects.all() if by.is_superuser else ApiToken.objects.filter(user=by)
    updated = tokens.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not updated and not tokens.filter(pk=token_id).exists():
        raise NotFound(_("Not found."))
