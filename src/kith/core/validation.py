"""Field checks every service shares: they collect messages per field, so one FieldError names
every bad field at once, and the version check that refuses stale edits.

The message texts are the same on every door (form, API, import, CLI), because they come from
here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from kith.core.errors import FieldError, StaleEdit
from kith.core.text import clean, has_controls


def control_message() -> str:
    """The one message for text with control characters, on every door."""
    return _("Remove the control characters (such as NUL) from this text.")


def text_clean(
    value: Any, *, field: str, limit: int, errors: dict[str, str], required: bool = False
) -> str:
    """`value` as cleaned text; a message in `errors[field]` when it is too long or missing.

    `limit` is in characters; None and "" count as empty. Control characters (NUL, BEL…)
    are refused, not silently dropped: the caller learns that the text was not what it meant.
    """
    raw = str(value or "")
    text = clean(raw)
    if has_controls(raw):
        errors[field] = control_message()
    elif len(text) > limit:
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


def controls_find(data: Any, *, path: str = "") -> dict[str, str]:
    """Field path -> message for every string in `data` (nested dicts and lists, as a JSON body
    or form holds them; keys too) that has a control character other than tab and line breaks.

    Paths are dotted like FieldError's ("emails.0.value"); a bad value at the top is "__all__".
    """
    found: dict[str, str] = {}
    if isinstance(data, str):
        if has_controls(data):
            found[path or "__all__"] = control_message()
    elif isinstance(data, Mapping):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            if has_controls(str(key)):
                found[path or "__all__"] = control_message()
            found.update(controls_find(value, path=name))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found.update(controls_find(value, path=f"{path}.{index}" if path else str(index)))
    return found


INT64_MAX = 2**63 - 1
_INTEGER_LITERAL = re.compile(r"^\s*[+-]?\d{19,}\s*$")
# Fields whose digits are text, not a number (search terms).
_DIGIT_TEXT_FIELDS = frozenset({"q", "search", "term"})


def number_message() -> str:
    """The one message for a number too large to store."""
    return _("Use a number between -9223372036854775807 and 9223372036854775807.")


def oversized_numbers_find(data: Any, *, path: str = "") -> dict[str, str]:
    """Field path -> message for every number in `data` (a JSON body: nested dicts and lists)
    beyond a 64-bit integer, and every string that is an integer literal that long (ids come in
    query strings and forms as text). Such a value is no id, amount or count Kith stores; let
    through, it fails in the database (OverflowError on SQLite)."""
    found: dict[str, str] = {}
    name = path.rpartition(".")[2]
    if isinstance(data, bool):
        return found
    if isinstance(data, int | float):
        if not math.isfinite(data) or abs(data) > INT64_MAX:
            found[path or "__all__"] = number_message()
    elif isinstance(data, str):
        literal = name not in _DIGIT_TEXT_FIELDS and _INTEGER_LITERAL.match(data)
        if literal and abs(int(data)) > INT64_MAX:
            found[path or "__all__"] = number_message()
    elif isinstance(data, Mapping):
        for key, value in data.items():
            found.update(oversized_numbers_find(value, path=f"{path}.{key}" if path else str(key)))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found.update(
                oversized_numbers_find(value, path=f"{path}.{index}" if path else str(index))
            )
    return found


DAY_MIN = date(1900, 1, 1)
DAY_MAX = date(2999, 12, 31)


def date_range_check(*, start: date, end: date, max_days: int) -> None:
    """Refuse a reporting range that is outside 1900–2999, reversed or longer than `max_days`
    (a report over centuries costs the server seconds and megabytes for nothing). FieldError
    names "start" or "end"."""
    errors: dict[str, str] = {}
    for field, day in (("start", start), ("end", end)):
        if not DAY_MIN <= day <= DAY_MAX:
            errors[field] = _("Enter a date between %(min)s and %(max)s.") % {
                "min": DAY_MIN.isoformat(),
                "max": DAY_MAX.isoformat(),
            }
    if not errors and start > end:
        errors["start"] = _("The start must not be after the end.")
    elif not errors and (end - start).days + 1 > max_days:
        errors["start"] = _("Choose a range of at most %(n)d days.") % {"n": max_days}
    if errors:
        raise FieldError(errors)


def day_check(day: date | None, *, field: str) -> None:
    """Refuse a day outside 1900–2999 (date arithmetic near year 1 or 9999 overflows)."""
    if day is not None and not DAY_MIN <= day <= DAY_MAX:
        raise FieldError.one(
            field,
            _("Enter a date between %(min)s and %(max)s.")
            % {"min": DAY_MIN.isoformat(), "max": DAY_MAX.isoformat()},
        )
