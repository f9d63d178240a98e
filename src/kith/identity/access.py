"""The one permission gate. Every selector filters with `visible_to`; every service checks `require`.

A role grants, per module, a scope (own / team / all records) and rights (read, create, edit,
delete, export). A record outside the user's scope does not exist for them (NotFound, a 404).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from kith.core.doors import access_modules
from kith.core.errors import FieldError, Forbidden, NotFound
from kith.identity.models import Right, RoleGrant, Scope, User

M = TypeVar("M", bound=Model)


class _Modules(Mapping[str, Any]):
    """Module key -> its name for messages, for every access module an installed app declares
    (KithAppConfig.access_modules), in app order. Read on each use: the apps may change in tests."""

    def _labels(self) -> dict[str, Any]:
        return {key: module.label for key, module in access_modules().items()}

    def __getitem__(self, key: str) -> Any:
        return self._labels()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels())

    def __len__(self) -> int:
        return len(self._labels())


# Modules that roles grant rights on, with their names for messages.
MODULES: Mapping[str, Any] = _Modules()


def grants_of(user: User) -> dict[str, RoleGrant]:
    """The user's grants by module, loaded once per user object (one query)."""
    cached = getattr(user, "_kith_grants", None)
    if cached is None:
        cached = {}
        if user.role_id is not None:
            cached = {g.module: g for g in RoleGrant.objects.filter(role_id=user.role_id)}
        user._kith_grants = cached  # type: ignore[attr-defined]
    return cached


def grant_for(user: Any, module: str) -> RoleGrant | None:
    """The user's grant on `module`; superusers get an all-powerful one."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return RoleGrant(
            module=module,
            scope=Scope.ALL,
            can_read=True,
            can_create=True,
            can_edit=True,
            can_delete=True,
            can_export=True,
        )
    return grants_of(user).get(module)


def visible_to(queryset: QuerySet[M], *, user: Any, module: str) -> QuerySet[M]:
    """Only the records of `queryset` that `user` may read in `module`."""
    grant = grant_for(user, module)
    if grant is None or not grant.can_read:
        return queryset.none()
    if grant.scope == Scope.ALL:
        return queryset
    if grant.scope == Scope.TEAM:
        if user.team_id is None:
            return queryset.filter(owner_id=user.pk)
        return queryset.filter(team_id=user.team_id)
    return queryset.filter(owner_id=user.pk)


def in_scope(user: Any, module: str, record: Any) -> bool:
    """Whether `record` (with owner_id and team_id) is inside the user's scope for `module`."""
    grant = grant_for(user, module)
    if grant is None or not grant.can_read:
        return False
    if grant.scope == Scope.ALL:
        return True
    if grant.scope == Scope.TEAM and user.team_id is not None:
        return bool(record.team_id == user.team_id)
    return bool(record.owner_id == user.pk)


def linked_name(user: Any, module: str, record: Any, *, name: str = "") -> str:
    """The name to show for `record`, linked from a record the user may see (a contact's
    company, a ticket's contact): its name when it is in the user's scope for `module`, else
    only that it belongs elsewhere ("a company of another team"), so links leak no names."""
    if in_scope(user, module, record):
        return name or str(getattr(record, "name", None) or getattr(record, "full_name", ""))
    hidden = HIDDEN_NAMES.get(module)
    return str(hidden() if hidden else _("a record of another team"))


# What a linked record outside the user's scope is called, per module.
HIDDEN_NAMES: dict[str, Any] = {
    "companies": lambda: _("a company of another team"),
    "contacts": lambda: _("a contact of another team"),
    "deals": lambda: _("a deal of another team"),
    "tickets": lambda: _("a ticket of another team"),
}


def scope_key(user: Any, module: str) -> str:
    """Which records of `module` the user sees, as a key: "all", "team:<id>", "owner:<id>"
    (or "none"). Users with the same key see the same records: a stored result (a duplicate
    search) computed for one is right for the others, and for no one else."""
    grant = grant_for(user, module)
    if grant is None or not grant.can_read:
        return "none"
    if grant.scope == Scope.ALL:
        return "all"
    if grant.scope == Scope.TEAM and user.team_id is not None:
        return f"team:{user.team_id}"
    return f"owner:{user.pk}"


def can(user: Any, module: str, right: str) -> bool:
    """Whether the user holds `right` (a `Right` value) in `module` at all."""
    grant = grant_for(user, module)
    return grant is not None and grant.allows(right)


def require(user: Any, module: str, right: str, record: Any = None) -> None:
    """Raise unless `user` may do `right` in `module` (to `record`, when given).

    A record outside the user's scope raises NotFound, so its existence is not revealed.
    """
    if record is not None and not in_scope(user, module, record):
        raise NotFound(_("Not found."))
    if not can(user, module, right):
        raise Forbidden(
            _("You may not %(right)s %(module)s.")
            % {"right": str(Right(right).label).lower(), "module": MODULES.get(module, module)}
        )


def is_admin(user: Any) -> bool:
    """Superusers and holders of the admin role administer Kith (custom fields, roles)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or (user.role_id is not None and user.role.slug == "admin"))


def admin_require(user: Any, *, message: Any = None) -> None:
    """Raise Forbidden (with `message`, or a general one) unless `user` administers Kith."""
    if not is_admin(user):
        raise Forbidden(str(message or _("Only administrators can change settings.")))


def users_assignable(*, user: Any, module: str = "contacts") -> QuerySet[User]:
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


def owner_resolve(
    *, by: User, owner_id: Any, module: str, errors: dict[str, str] | None = None
) -> User:
    """The owner to give a record in `module`: `by`, unless another user `by` may assign is named.

    An owner `by` may not assign is a message in `errors["owner_id"]` (and `by` is returned)
    when `errors` is given, else a FieldError. None and "" mean "no one named".
    """
    if owner_id in (None, "") or owner_id == by.pk:
        return by
    owner = users_assignable(user=by, module=module).filter(pk=owner_id).first()
    if owner is not None:
        return owner
    message = _("You cannot assign records to this user.")
    if errors is None:
        raise FieldError.one("owner_id", message)
    errors["owner_id"] = message
    return by


def for_write(model: type[M], *, module: str, by: User, pk: Any, right: str) -> M:
    """The record `pk` of `model`, locked for this transaction, that `by` may `right` in `module`.

    Outside the user's scope (or missing) is NotFound; in scope without the right is Forbidden.
    Call inside transaction.atomic: the row lock (SELECT … FOR UPDATE) lasts until it ends.
    """
    queryset = model._default_manager.select_for_update(of=("self",))
    record = visible_to(queryset, user=by, module=module).filter(pk=pk).first()
    if record is None:
        raise NotFound(_("Not found."))
    require(by, module, right, record)
    return record
