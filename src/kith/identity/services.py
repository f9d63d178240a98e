"""Writes for users, teams, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.audit import changes_record
from kith.core.doors import access_modules
from kith.core.errors import FieldError, NotFound
from kith.core.translated import seeded_name, translations_clean
from kith.identity.access import MODULES, admin_require
from kith.identity.models import ApiToken, Right, Role, RoleGrant, Scope, SecurityEvent, Team, User
from kith.identity.security import security_event_record

Kind = SecurityEvent.Kind

# The ready roles, slug -> name. What each may do in a module is that module's default grant
# (KithAppConfig.access_modules); a module without a grant for a role gives it none.
DEFAULT_ROLES: dict[str, Any] = {
    "admin": gettext_lazy("Administrator"),
    "manager": gettext_lazy("Sales manager"),
    "sales_rep": gettext_lazy("Sales representative"),
}
TOKEN_PREFIX = "kith"


def roles_ensure_defaults() -> dict[str, Role]:
    """Create the admin, manager and sales-rep roles with the default grant of every installed
    app's access modules. Idempotent: existing grants are left as an admin may have tuned them;
    missing modules are added."""
    modules = access_modules()
    roles: dict[str, Role] = {}
    with transaction.atomic():
        for slug, name in DEFAULT_ROLES.items():
            # Named in the installation's language, with the others for readers of those.
            own, others = seeded_name(name, limit=80)
            role, _created = Role.objects.get_or_create(
                slug=slug, defaults={"name": own, "name_translations": others}
            )
            have = set(role.grants.values_list("module", flat=True))
            RoleGrant.objects.bulk_create(
                [
                    RoleGrant(
                        role=role,
                        module=key,
                        scope=grant.scope,
                        can_read=True,
                        **{f"can_{right}": True for right in grant.rights},
                    )
                    for key, module in modules.items()
                    if key not in have and (grant := module.grants.get(slug)) is not None
                ]
            )
            roles[slug] = role
    return roles


def _team_name_clean(name: str, *, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise FieldError.one("name", _("Enter a team name."))
    if len(name) > 80:
        raise FieldError.one("name", _("Use at most %(n)d characters.") % {"n": 80})
    teams = Team.objects.filter(name__iexact=name)
    if exclude_id is not None:
        teams = teams.exclude(pk=exclude_id)
    if teams.exists():
        raise FieldError.one("name", _("A team with this name already exists."))
    return name


def _lead_resolve(lead_id: int | None) -> User | None:
    if lead_id is None:
        return None
    lead = User.objects.filter(pk=lead_id, is_active=True).first()
    if lead is None:
        raise FieldError.one("lead_id", _("Choose an active user as the team lead."))
    return lead


def team_create(*, name: str, lead: User | None = None, by: User | None = None) -> Team:
    """A team; names are unique (ignoring case). With `by`, only an administrator may do it."""
    if by is not None:
        admin_require(by)
    name = _team_name_clean(name)
    team = Team.objects.create(name=name, lead=lead)
    if by is not None:
        changes_record(
            instance=team, actor=by, before=None, after={"name": name, "lead": str(lead or "")}
        )
        security_event_record(kind=Kind.TEAM_CHANGED, actor=by, target=f"team:{team.pk}")
    return team


@transaction.atomic
def team_update(*, by: User, team_id: int, **changes: Any) -> Team:
    """Rename a team (`name`) or set its lead (`lead_id`, None for no lead). Admins only."""
    admin_require(by)
    unknown = set(changes) - {"name", "lead_id"}
    if unknown:
        raise FieldError({k: _("Unknown field.") for k in sorted(unknown)})
    team = (
        Team.objects.select_for_update(of=("self",))
        .select_related("lead")
        .filter(pk=team_id)
        .first()
    )
    if team is None:
        raise NotFound(_("Not found."))
    before = {"name": team.name, "lead": str(team.lead or "")}
    if "name" in changes:
        team.name = _team_name_clean(changes["name"], exclude_id=team.pk)
    if "lead_id" in changes:
        team.lead = _lead_resolve(changes["lead_id"])
    team.save()
    changes_record(
        instance=team,
        actor=by,
        before=before,
        after={"name": team.name, "lead": str(team.lead or "")},
    )
    security_event_record(
        kind=Kind.TEAM_CHANGED,
        actor=by,
        target=f"team:{team.pk}",
        detail={"changed": sorted(changes)},
    )
    return team


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
    by: User | None = None,
) -> User:
    """A user with a role (created on demand from the defaults) and a team.

    With `by` (the settings pages and API), only an administrator may do it and every field is
    validated like an edit is."""
    if by is not None:
        admin_require(by)
    username = username.strip()
    if not username:
        raise FieldError.one("username", _("Enter a username."))
    if len(username) > 150:
        raise FieldError.one("username", _("Use at most %(n)d characters.") % {"n": 150})
    if User.objects.filter(username__iexact=username).exists():
        raise FieldError.one("username", _("This username is taken."))
    if email.strip():
        _email_check(email)
    _language_check(language)
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
        if by is not None:
            changes_record(instance=user, actor=by, before=None, after=_user_snapshot(user))
        security_event_record(
            kind=Kind.USER_CREATED,
            actor=by,
            username=by.username if by is not None else "",
            target=f"user:{user.pk}",
            detail={"role": role.slug, "superuser": is_superuser},
        )
    return user


def _email_check(email: str) -> None:
    try:
        validate_email(email.strip())
    except ValidationError as exc:
        raise FieldError.one("email", _("Enter a valid email address.")) from exc


def _language_check(language: str) -> None:
    codes = {code for code, _name in settings.LANGUAGES}
    if language and language not in codes:
        raise FieldError.one(
            "language", _("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(codes))}
        )


def _user_snapshot(user: User) -> dict[str, str]:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "team": str(user.team or ""),
        "role": user.role.slug if user.role is not None else "",
        "language": user.language,
        "is_active": str(user.is_active),
    }


USER_FIELDS = frozenset(
    {"first_name", "last_name", "email", "team_id", "role_slug", "language", "is_active"}
)


@transaction.atomic
def user_update(*, by: User, user_id: int, **changes: Any) -> User:
    """Change a user's name, email, team (`team_id`, None for none), role (`role_slug`),
    language or `is_active`. Admins only; an admin can neither deactivate themselves nor take
    away their own admin role (nobody would be left to undo it)."""
    admin_require(by)
    unknown = set(changes) - USER_FIELDS
    if unknown:
        raise FieldError({k: _("Unknown field.") for k in sorted(unknown)})
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("Not found."))
    before = _user_snapshot(user)
    errors: dict[str, str] = {}
    for name in ("first_name", "last_name"):
        if name in changes:
            value = (changes[name] or "").strip()
            if len(value) > 150:
                errors[name] = _("Use at most %(n)d characters.") % {"n": 150}
            setattr(user, name, value)
    if "email" in changes:
        email = (changes["email"] or "").strip().lower()
        if email:
            try:
                _email_check(email)
            except FieldError as exc:
                errors.update(exc.errors)
        user.email = email
    if "team_id" in changes:
        team_id = changes["team_id"]
        team = None if team_id is None else Team.objects.filter(pk=team_id).first()
        if team_id is not None and team is None:
            errors["team_id"] = _("Choose an existing team.")
        user.team = team
    if "role_slug" in changes:
        role = Role.objects.filter(slug=changes["role_slug"] or "").first()
        if role is None:
            errors["role"] = _("Unknown role “%(role)s”.") % {"role": changes["role_slug"]}
        elif user.pk == by.pk and role.slug != "admin" and not user.is_superuser:
            errors["role"] = _("You cannot take away your own administrator role.")
        else:
            user.role = role
    if "language" in changes:
        try:
            _language_check(changes["language"] or "")
        except FieldError as exc:
            errors.update(exc.errors)
        user.language = changes["language"] or ""
    if "is_active" in changes:
        active = bool(changes["is_active"])
        if not active and user.pk == by.pk:
            errors["is_active"] = _("You cannot deactivate yourself.")
        user.is_active = active
    if errors:
        raise FieldError(errors)
    user.save()
    after = _user_snapshot(user)
    changes_record(instance=user, actor=by, before=before, after=after)
    changed = sorted(key for key in after if before.get(key) != after[key])
    if changed:
        security_event_record(
            kind=Kind.ROLE_CHANGED if "role" in changed else Kind.USER_CHANGED,
            actor=by,
            target=f"user:{user.pk}",
            detail={"changed": changed, "role": user.role.slug if user.role else ""},
        )
    return user


def user_deactivate(*, by: User, user_id: int) -> User:
    """Stop a user from signing in (sessions and API tokens stop working); their records,
    history and tokens stay. Users are never deleted, so history keeps naming them."""
    return user_update(by=by, user_id=user_id, is_active=False)


def user_activate(*, by: User, user_id: int) -> User:
    """Let a deactivated user sign in again."""
    return user_update(by=by, user_id=user_id, is_active=True)


@transaction.atomic
def user_password_set(*, by: User, user_id: int, password: str) -> None:
    """An administrator sets a new password for a user (e.g. one who forgot theirs)."""
    admin_require(by)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("Not found."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise FieldError.one("password", " ".join(exc.messages)) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    changes_record(
        instance=user,
        actor=by,
        before={"password": ""},
        after={"password": _("(reset by an administrator)")},
    )
    security_event_record(
        kind=Kind.PASSWORD_CHANGED, actor=by, target=f"user:{user.pk}", detail={"by_admin": True}
    )


# --- roles and grants ---------------------------------------------------------------------

RIGHT_NAMES = tuple(Right.values)  # read, create, edit, delete, export


def _grant_snapshot(grant: RoleGrant) -> str:
    rights = ",".join(r for r in RIGHT_NAMES if grant.allows(r))
    return f"{grant.scope}:{rights}"


@transaction.atomic
def role_create(*, by: User, slug: str, name: str, copy_from: str = "") -> Role:
    """A new role with a grant on every module: copied from role `copy_from` (a slug), or
    read-only on the user's own records. Admins only."""
    admin_require(by)
    errors: dict[str, str] = {}
    slug = (slug or "").strip().lower()
    if not slug or len(slug) > 32 or not slug.isascii() or not slug.replace("_", "").isalnum():
        errors["slug"] = _("Use up to 32 lower-case letters, digits and underscores.")
    elif Role.objects.filter(slug=slug).exists():
        errors["slug"] = _("A role with this key already exists.")
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Enter a name.")
    elif len(name) > 80:
        errors["name"] = _("Use at most %(n)d characters.") % {"n": 80}
    source = None
    if copy_from:
        source = Role.objects.filter(slug=copy_from).first()
        if source is None:
            errors["copy_from"] = _("Unknown role “%(role)s”.") % {"role": copy_from}
    if errors:
        raise FieldError(errors)
    role = Role.objects.create(slug=slug, name=name)
    existing = {g.module: g for g in source.grants.all()} if source is not None else {}
    grants = []
    for module in MODULES:
        template = existing.get(module)
        grant = RoleGrant(role=role, module=module, scope=Scope.OWN, can_read=True)
        if template is not None:
            grant.scope = template.scope
            for right in RIGHT_NAMES:
                setattr(grant, f"can_{right}", template.allows(right))
        grants.append(grant)
    RoleGrant.objects.bulk_create(grants)
    changes_record(
        instance=role,
        actor=by,
        before=None,
        after={f"grant.{g.module}": _grant_snapshot(g) for g in grants},
    )
    security_event_record(
        kind=Kind.ROLE_CHANGED, actor=by, target=f"role:{role.pk}", detail={"created": True}
    )
    return role


@transaction.atomic
def role_grants_update(
    *,
    by: User,
    role_id: int,
    grants: Mapping[str, Mapping[str, Any]],
    name: str | None = None,
    name_translations: Mapping[str, str] | None = None,
) -> Role:
    """Set a role's grants: {module: {"scope": "own|team|all", "read": bool, …}}. Modules left
    out keep their grant; a right left out of a module's mapping is turned off. Admins only.
    Users holding the role get the new rights on their next request."""
    admin_require(by)
    role = Role.objects.select_for_update().filter(pk=role_id).first()
    if role is None:
        raise NotFound(_("Not found."))
    errors: dict[str, str] = {}
    if name is not None:
        name = name.strip()
        if not name:
            errors["name"] = _("Enter a name.")
        elif len(name) > 80:
            errors["name"] = _("Use at most %(n)d characters.") % {"n": 80}
    for module, wanted in grants.items():
        if module not in MODULES:
            errors[f"grants.{module}"] = _("There is no module “%(module)s”.") % {"module": module}
            continue
        if wanted.get("scope") not in Scope.values:
            errors[f"grants.{module}.scope"] = _("Choose one of: %(choices)s.") % {
                "choices": ", ".join(Scope.values)
            }
        unknown = set(wanted) - {"scope", *RIGHT_NAMES}
        if unknown:
            errors[f"grants.{module}.{sorted(unknown)[0]}"] = _("Unknown right.")
    if errors:
        raise FieldError(errors)
    current = {g.module: g for g in role.grants.all()}
    before = {f"grant.{m}": _grant_snapshot(g) for m, g in current.items()}
    changed: list[RoleGrant] = []
    created: list[RoleGrant] = []
    for module, wanted in grants.items():
        grant = current.get(module)
        if grant is None:
            grant = RoleGrant(role=role, module=module)
            created.append(grant)
            current[module] = grant
        else:
            changed.append(grant)
        grant.scope = wanted["scope"]
        for right in RIGHT_NAMES:
            setattr(grant, f"can_{right}", bool(wanted.get(right, False)))
    fields = ["scope", *(f"can_{r}" for r in RIGHT_NAMES)]
    RoleGrant.objects.bulk_update(changed, fields)
    RoleGrant.objects.bulk_create(created)
    if name is not None and name != role.name:
        before["name"] = role.name
        role.name = name
        role.save(update_fields=["name"])
    if name_translations is not None:
        names = translations_clean(name_translations, limit=80)
        if names != role.name_translations:
            before["names"] = str(role.name_translations)
            role.name_translations = names
            role.save(update_fields=["name_translations"])
    after = {f"grant.{m}": _grant_snapshot(g) for m, g in current.items()}
    after["name"] = role.name
    before.setdefault("name", role.name)
    changes_record(instance=role, actor=by, before=before, after=after)
    security_event_record(
        kind=Kind.ROLE_CHANGED,
        actor=by,
        target=f"role:{role.pk}",
        detail={"changed": sorted(key for key in after if before.get(key) != after[key])},
    )
    return role


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
    security_event_record(kind=Kind.PASSWORD_CHANGED, actor=user, target=f"user:{user.pk}")


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
    security_event_record(
        kind=Kind.TOKEN_CREATED, actor=user, target=f"token:{token.pk}", detail={"prefix": prefix}
    )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_token_revoke(*, by: User, token_id: int) -> None:
    """Revoke one of `by`'s tokens (an admin may revoke anyone's)."""
    tokens = ApiToken.objects.all() if by.is_superuser else ApiToken.objects.filter(user=by)
    updated = tokens.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not updated and not tokens.filter(pk=token_id).exists():
        raise NotFound(_("Not found."))
    if updated:
        security_event_record(kind=Kind.TOKEN_REVOKED, actor=by, target=f"token:{token_id}")
