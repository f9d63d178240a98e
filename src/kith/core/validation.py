"""Field checks every service shares: they collect messages per field, so one FieldError names
every bad field at once, and the version check that refuses stale edits.

The message texts are the same on every door (form, API, import, CLI), because they come from
here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from kith.core.errors import FieldError, StaleEdit
from kith.core.text import clean


def text_clean(
    value: Any, *, field: str, limit: int, errors: dict[str, str], required: bool = False
) -> str:
    """`value` as cleaned text; a message in `errors[field]` when it is too long or missing.

    `limit` is in characters; None and "" count as empty.
    """
    text = clean(str(value or ""))
    if len(text) > limit:
        errors[field] = _("Use at most %(n)d characters.") % {"n": limit}
    elif required and not text:
        errors[field] = _("This field is required.")
    return text


def choice_check(value: Any, choices: Iterable[Any], *, field: str, errors: dict[str, str]) -> None:
    """A message in `errors[field]` unless `value` is one of `choices`."""
    if value not in set(choices):
        errors[field] = _("“%(value)s” is not a valid choice.") % {"value": value}


def currency_clean(value: Any, *, field: str, errors: dict[str, str]) -> str:
    """An ISO 4217 code in upper case ("usd" -> "USD"); a message when it is not three letters."""
    code = clean(str(value or "")).upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        errors[field] = _("Use a three-letter currency code such as USD, VND or CNY.")
    return code


def unknown_fields_check(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Raise FieldError naming every key of `changes` that is not in `allowed`."""
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise FieldError({name: _("This field cannot be changed.") for name in unknown})


def version_check(record: Any, version: int | None) -> None:
    """Refuse an edit that does not carry the version of `record` it was made from.

    The one stale-edit policy: no version is a FieldError on "version" (an edit must say what it
    was based on); another version than the record's is StaleEdit (someone saved in between).
    """
    if version is None:
        raise FieldError.one(
            "version", _("Send the version of the record you edited (reload to get it).")
        )
    if record.version != version:
        raise StaleEdit(
            _(
                "%(name)s was changed by someone else since you opened it "
                "(version %(theirs)d, yours %(yours)d). Reload to see their changes."
            )
            % {"name": str(record), "theirs": record.version, "yours": version}
        )
