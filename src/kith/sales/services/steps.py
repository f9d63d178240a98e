"""Shared steps of the sales services: text, choice and currency checks, the owner,
version and unknown-field checks, and the locked read of a record to change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound, StaleEdit
from kith.core.text import clean
from kith.identity.access import require, visible_to
from kith.identity.models import User
from kith.identity.selectors import users_assignable


def _text(
    value: Any, field: str, limit: int, errors: dict[str, str], required: bool = False
) -> str:
    text = clean(str(value or ""))
    if len(text) > limit:
        errors[field] = _("Use at most %(n)d characters.") % {"n": limit}
    elif required and not text:
        errors[field] = _("This field is required.")
    return text


def _choice(value: str, choices: Iterable[str], field: str, errors: dict[str, str]) -> None:
    if value not in set(choices):
        errors[field] = _("“%(value)s” is not a valid choice.") % {"value": value}


def _currency(value: Any, field: str, errors: dict[str, str]) -> str:
    code = clean(str(value or "")).upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        errors[field] = _("Use a three-letter currency code such as USD, VND or CNY.")
    return code


def _owner_resolve(*, by: User, owner_id: int | None, module: str) -> User:
    if owner_id is None or owner_id == by.pk:
        return by
    owner = users_assignable(user=by, module=module).filter(pk=owner_id).first()
    if owner is None:
        raise FieldError.one("owner_id", _("You cannot assign records to this user."))
    return owner


def _version_check(record: Any, version: int | None) -> None:
    if version is not None and record.version != version:
        raise StaleEdit(
            _(
                "%(name)s was changed by someone else since you opened it "
                "(version %(theirs)d, yours %(yours)d). Reload to see their changes."
            )
            % {"name": str(record), "theirs": record.version, "yours": version}
        )


def _unknown_check(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise FieldError({name: _("This field cannot be changed.") for name in unknown})


def _for_write(model: Any, module: str, *, by: User, pk: int, right: str) -> Any:
    record = (
        visible_to(model.objects.select_for_update(of=("self",)), user=by, module=module)
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise NotFound(_("Not found."))
    require(by, module, right, record)
    return record
