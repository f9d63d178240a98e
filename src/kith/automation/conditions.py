"""Rule conditions: and/or groups of comparisons, stored as JSON on the rule.

    {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"},
             {"any": [{"field": "custom.tier", "op": "in", "value": ["gold", "vip"]},
                      {"field": "event.to_stage", "op": "eq", "value": "7"}]}]}

A field is a concrete field of the record ("amount_minor", "owner_id"), "custom.<key>" (a custom
field), "tags" (the record's tag names) or "event.<key>" (a key of the event's payload, e.g.
"event.to_stage"), or a field of a related record: "<relation>.<field>" such as
"company.industry" (a contact's or deal's company), "contact.tags" or "contact.title" (an
order's or ticket's contact; a deal's contacts, any of them). An empty condition ({}) always passes. Numbers compare as numbers when both
sides are numbers, otherwise as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.identity.access import in_scope

MAX_NESTING = 4
MAX_RELATED = 50  # a deal's contacts looked at, at most


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(left: Any, right: Any) -> int:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    x, y = str(left if left is not None else ""), str(right if right is not None else "")
    return (x > y) - (x < y)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, list):
        return right in left
    return _compare(left, right) == 0


def _contains(left: Any, right: Any) -> bool:
    if isinstance(left, list):
        return any(_equal(item, right) for item in left)
    return str(right).casefold() in str(left or "").casefold()


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "ne": lambda a, b: not _equal(a, b),
    "gt": lambda a, b: a not in (None, "") and _compare(a, b) > 0,
    "gte": lambda a, b: a not in (None, "") and _compare(a, b) >= 0,
    "lt": lambda a, b: a not in (None, "") and _compare(a, b) < 0,
    "lte": lambda a, b: a not in (None, "") and _compare(a, b) <= 0,
    "contains": _contains,
    "not_contains": lambda a, b: not _contains(a, b),
    "in": lambda a, b: isinstance(b, list) and any(_equal(a, item) for item in b),
    "is_empty": lambda a, _b: a in (None, "", []),
    "is_not_empty": lambda a, _b: a not in (None, "", []),
}


def record_fields(model: type[models.Model]) -> list[str]:
    """The concrete fields of `model` a condition or set_field may name (their attnames)."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.attname not in {"custom", "version"}
    ]


def _relation(model: type[models.Model], name: str) -> tuple[str, type[models.Model]] | None:
    """The relation field `name` (or its plural, a deal's "contacts") of `model` and the model
    it leads to; None when there is none."""
    for candidate in (name, f"{name}s"):
        try:
            field = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        if field.is_relation and field.concrete and field.related_model not in (None, "self"):
            related = field.related_model
            if isinstance(related, type) and related._meta.app_label != "identity":
                return candidate, related
    return None


def field_known(model: type[models.Model], field: str, *, depth: int = 0) -> bool:
    """Whether a condition may name `field` on records of `model` (see the module docstring)."""
    if field.startswith(("custom.", "event.")) or field == "tags":
        return True
    if field in record_fields(model):
        return True
    head, dot, rest = field.partition(".")
    if not dot or depth >= 2:
        return False
    relation = _relation(model, head)
    return relation is not None and field_known(relation[1], rest, depth=depth + 1)


def _readable(related: Any, user: Any) -> Any:
    """`related` if `user` (the rule's owner) may read it, else None: a rule never branches on
    a field of another team's record, as no other door shows one."""
    if related is None or user is None:
        return related
    from kith.automation.records import record_kind

    kind = record_kind(related._meta.label_lower)
    if kind is None or in_scope(user, kind.module, related):
        return related
    return None


def field_value(record: Any, field: str, payload: Mapping[str, Any], user: Any = None) -> Any:
    """The value `field` (see the module docstring) has for `record` and the event payload;
    related records outside `user`'s scope count as absent."""
    if field.startswith("event."):
        return payload.get(field[6:])
    if record is None:
        return None
    if field.startswith("custom."):
        return (getattr(record, "custom", None) or {}).get(field[7:])
    if field == "tags":
        if not hasattr(record, "tags"):
            return []
        return sorted(tag.name for tag in record.tags.all())
    if field in record_fields(type(record)):
        return getattr(record, field)
    head, dot, rest = field.partition(".")
    relation = _relation(type(record), head) if dot else None
    if relation is None:
        return None
    name, _model = relation
    field_object = type(record)._meta.get_field(name)
    if field_object.many_to_many:
        values: list[Any] = []
        for related in getattr(record, name).all()[:MAX_RELATED]:
            if _readable(related, user) is None:
                continue
            value = field_value(related, rest, payload, user)
            values.extend(value if isinstance(value, list) else [value])
        return values
    return field_value(_readable(getattr(record, name), user), rest, payload, user)


def conditions_check(conditions: Any, *, model: type[models.Model] | None) -> None:
    """Raise FieldError("conditions") unless `conditions` is a well-formed group whose fields
    exist on `model` (when known)."""
    problems: list[str] = []

    def walk(node: Any, depth: int) -> None:
        if depth > MAX_NESTING:
            problems.append(_("Groups nest at most %(n)s deep.") % {"n": MAX_NESTING})
            return
        if not isinstance(node, Mapping):
            problems.append(_("A condition is an object."))
            return
        group = [key for key in ("all", "any") if key in node]
        if group:
            items = node[group[0]]
            if len(node) != 1 or not isinstance(items, list):
                problems.append(_('A group is {"all": [...]} or {"any": [...]}.'))
                return
            for item in items:
                walk(item, depth + 1)
            return
        field, op = node.get("field"), node.get("op")
        if not isinstance(field, str) or not field:
            problems.append(_("A comparison names a field."))
        elif model is not None and not field_known(model, field):
            problems.append(_("Unknown field “%(field)s”.") % {"field": field})
        if op not in OPERATORS:
            problems.append(
                _("Unknown comparison “%(op)s”; use one of %(ops)s.")
                % {"op": op, "ops": ", ".join(OPERATORS)}
            )
        elif op == "in" and not isinstance(node.get("value"), list):
            problems.append(_("“in” compares with a list of values."))

    if conditions in (None, {}):
        return
    walk(conditions, 0)
    if problems:
        raise FieldError.one("conditions", " ".join(dict.fromkeys(problems)))


def conditions_met(
    conditions: Any, *, record: Any, payload: Mapping[str, Any], user: Any = None
) -> bool:
    """Whether `record` (and the event `payload`) pass `conditions` (checked well-formed), as
    `user` (the rule's owner) sees the records related to it."""
    if not conditions:
        return True
    if "all" in conditions:
        return all(
            conditions_met(c, record=record, payload=payload, user=user) for c in conditions["all"]
        )
    if "any" in conditions:
        return any(
            conditions_met(c, record=record, payload=payload, user=user) for c in conditions["any"]
        )
    left = field_value(record, conditions["field"], payload, user)
    return OPERATORS[conditions["op"]](left, conditions.get("value"))
