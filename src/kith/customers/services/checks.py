"""Validation steps the customers services share (until core's kit replaces them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from kith.core.errors import FieldError, StaleEdit
from kith.core.text import clean
from kith.customers.models import Company, Contact
from kith.identity.models import User
from kith.identity.selectors import users_assignable


def owner_resolve(*, by: User, owner_id: int | None, module: str) -> User:
    """The owner to give a record: `by` unless another user is named and assignable by `by`."""
    if owner_id is None or owner_id == by.pk:
        return by
    owner = users_assignable(user=by, module=module).filter(pk=owner_id).first()
    if owner is None:
        raise FieldError.one("owner_id", _("You cannot assign records to this user."))
    return owner


def choice_check(value: str, choices: Iterable[str], field: str, errors: dict[str, str]) -> None:
    """Note in `errors` when `value` is not one of `choices`."""
    if value not in set(choices):
        errors[field] = _("“%(value)s” is not a valid choice.") % {"value": value}


def text(value: Any, field: str, limit: int, errors: dict[str, str]) -> str:
    """`value` cleaned; too long is noted in `errors`."""
    cleaned = clean(str(value or ""))
    if len(cleaned) > limit:
        errors[field] = _("Use at most %(n)d characters.") % {"n": limit}
    return cleaned


def unknown_fields_check(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Refuse changes to fields outside `allowed`."""
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise FieldError({name: _("This field cannot be changed.") for name in unknown})


def version_check(record: Contact | Company, version: int) -> None:
    """Refuse an edit made from a version that is not the current one."""
    if record.version != version:
        raise StaleEdit(
            _(
                "%(name)s was changed by someone else since you opened it "
                "(version %(theirs)d, yours %(yours)d). Reload to see their changes."
            )
            % {"name": str(record), "theirs": record.version, "yours": version}
        )
