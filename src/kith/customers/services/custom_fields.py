"""Custom fields on contacts and companies: define, change and delete them (admins only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, Func, JSONField, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError, NotFound
from kith.core.models import ChangeRecord, CustomField
from kith.core.text import clean
from kith.core.translated import translations_clean
from kith.core.validation import choice_check, text_clean
from kith.customers.models import Company, Contact
from kith.identity.access import admin_require
from kith.identity.models import SecurityEvent, User
from kith.identity.security import security_event_record

CUSTOM_FIELD_CHANGES = frozenset(
    {"key", "label", "label_translations", "kind", "choices", "required", "position"}
)


def _key_valid(key: str) -> bool:
    return bool(key) and key.replace("_", "").isalnum() and key.isascii() and len(key) <= 48


def custom_field_create(
    *,
    by: User,
    model: str,
    key: str,
    label: str,
    kind: str = CustomField.Kind.TEXT,
    choices: Iterable[str] = (),
    required: bool = False,
    label_translations: Mapping[str, str] | None = None,
) -> CustomField:
    """Define a custom field on contacts or companies (admins only); label_translations are
    its label in the installation's other languages."""
    admin_require(by, message=_("Only administrators can define custom fields."))
    errors: dict[str, str] = {}
    choice_check(model, ("customers.contact", "customers.company"), field="model", errors=errors)
    choice_check(kind, CustomField.Kind.values, field="kind", errors=errors)
    key = clean(key).lower()
    if not _key_valid(key):
        errors["key"] = _("Use up to 48 lower-case letters, digits and underscores.")
    elif CustomField.objects.filter(model=model, key=key).exists():
        errors["key"] = _("This model already has a field with this key.")
    label = text_clean(label, field="label", limit=80, errors=errors)
    if not label:
        errors["label"] = _("Enter a label.")
    options = [clean(c) for c in choices if clean(c)]
    if kind == CustomField.Kind.CHOICE and not options:
        errors["choices"] = _("A choice field needs at least one choice.")
    if errors:
        raise FieldError(errors)
    position = CustomField.objects.filter(model=model).count()
    created = CustomField.objects.create(
        model=model,
        key=key,
        label=label,
        label_translations=translations_clean(label_translations, limit=80),
        kind=kind,
        choices=options,
        required=required,
        position=position,
    )
    _settings_event(by, created, "created")
    return created


def _settings_event(by: User, definition: CustomField, change: str) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.SETTINGS_CHANGED,
        actor=by,
        target=f"custom_field:{definition.pk}",
        detail={"model": definition.model, "key": definition.key, "change": change},
    )


_CUSTOM_MODELS: dict[str, type[Contact] | type[Company]] = {
    "customers.contact": Contact,
    "customers.company": Company,
}
_CUSTOM_BATCH = 2000


class _JsonKeyRemoved(Func):
    """`column` without the top-level `key` (a slug), computed in the database."""

    output_field = JSONField()

    def __init__(self, column: str, key: str) -> None:
        super().__init__(F(column), Cast(Value(key), TextField()))
        self.key = key

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        path = Value(f'$."{self.key}"')
        return Func(self.source_expressions[0], path, function="json_remove").as_sql(
            compiler, connection
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")


def _custom_field_for_admin(*, by: User, field_id: int) -> CustomField:
    admin_require(by, message=_("Only administrators can define custom fields."))
    definition = CustomField.objects.select_for_update().filter(pk=field_id).first()
    if definition is None:
        raise NotFound(_("Not found."))
    return definition


def _custom_field_snapshot(definition: CustomField) -> dict[str, str]:
    return {
        "key": definition.key,
        "label": definition.label,
        "kind": definition.kind,
        "choices": ", ".join(definition.choices),
        "required": str(definition.required),
        "position": str(definition.position),
    }


def custom_field_values_count(*, definition: CustomField, value: Any = None) -> int:
    """How many records hold a value for `definition` (or exactly `value`, when given)."""
    records = _CUSTOM_MODELS[definition.model].objects.all()
    if value is None:
        return records.filter(custom__has_key=definition.key).count()
    return records.filter(**{f"custom__{definition.key}": value}).count()


class _HeldCount:
    """How many records hold a value of the field: counted once, and only when asked."""

    def __init__(self, definition: CustomField) -> None:
        self.definition = definition
        self.count: int | None = None

    def __call__(self) -> int:
        if self.count is None:
            self.count = custom_field_values_count(definition=self.definition)
        return self.count


def _key_change(
    definition: CustomField, value: Any, held: Callable[[], int], errors: dict[str, str]
) -> None:
    key = clean(value or "").lower()
    if key == definition.key:
        return
    if not _key_valid(key):
        errors["key"] = _("Use up to 48 lower-case letters, digits and underscores.")
    elif held():
        errors["key"] = _(
            "The key of “%(label)s” cannot change: %(count)d records hold a value."
        ) % {"label": definition.label, "count": held()}
    elif CustomField.objects.filter(model=definition.model, key=key).exists():
        errors["key"] = _("This model already has a field with this key.")
    else:
        definition.key = key


def _kind_change(
    definition: CustomField, kind: Any, held: Callable[[], int], errors: dict[str, str]
) -> None:
    if kind == definition.kind:
        return
    choice_check(kind, CustomField.Kind.values, field="kind", errors=errors)
    if "kind" in errors:
        return
    if held():
        errors["kind"] = _(
            "The type of “%(label)s” cannot change: %(count)d records hold a value."
        ) % {"label": definition.label, "count": held()}
    else:
        definition.kind = kind


def _choices_change(
    definition: CustomField, changes: Mapping[str, Any], errors: dict[str, str]
) -> None:
    is_choice = definition.kind == CustomField.Kind.CHOICE
    if "choices" not in changes:
        if is_choice and not definition.choices:
            errors["choices"] = _("A choice field needs at least one choice.")
        return
    options = list(dict.fromkeys(clean(c) for c in changes["choices"] if clean(c)))
    if is_choice:
        if not options:
            errors["choices"] = _("A choice field needs at least one choice.")
        for removed in [c for c in definition.choices if c not in options]:
            count = custom_field_values_count(definition=definition, value=removed)
            if count:
                errors["choices"] = _(
                    "“%(choice)s” cannot be removed from “%(label)s”: %(count)d records hold it."
                ) % {"choice": removed, "label": definition.label, "count": count}
                break
    definition.choices = options if is_choice else []


def _position_move(definition: CustomField, position: Any) -> None:
    """Move the field to `position` (0 = first) and renumber the model's other fields."""
    siblings = [
        f
        for f in CustomField.objects.filter(model=definition.model).order_by("position", "pk")
        if f.pk != definition.pk
    ]
    at = max(0, min(int(position), len(siblings)))
    siblings.insert(at, definition)
    for index, field in enumerate(siblings):
        field.position = index
    CustomField.objects.bulk_update(siblings, ["position"])


@transaction.atomic
def custom_field_update(*, by: User, field_id: int, **changes: Any) -> CustomField:
    """Change a custom field's label, choices, required flag or position (admins only).

    `key` and `kind` may change only while no record holds a value, so stored values always
    match their definition; a choice still held by records cannot be removed. Moving a field
    to `position` (0 = first) renumbers the model's other fields.
    """
    definition = _custom_field_for_admin(by=by, field_id=field_id)
    unknown = set(changes) - CUSTOM_FIELD_CHANGES
    if unknown:
        raise FieldError({k: _("Unknown field.") for k in sorted(unknown)})
    before = _custom_field_snapshot(definition)
    errors: dict[str, str] = {}
    held = _HeldCount(definition)
    if "key" in changes:
        _key_change(definition, changes["key"], held, errors)
    if "kind" in changes:
        _kind_change(definition, changes["kind"], held, errors)
    if "label_translations" in changes:
        definition.label_translations = translations_clean(changes["label_translations"], limit=80)
    if "label" in changes:
        definition.label = text_clean(changes["label"], field="label", limit=80, errors=errors)
        if not definition.label:
            errors["label"] = _("Enter a label.")
    _choices_change(definition, changes, errors)
    if "required" in changes:
        definition.required = bool(changes["required"])
    if errors:
        raise FieldError(errors)
    definition.save()
    if "position" in changes:
        _position_move(definition, changes["position"])
    changes_record(
        instance=definition, actor=by, before=before, after=_custom_field_snapshot(definition)
    )
    _settings_event(by, definition, "updated")
    return definition


@transaction.atomic
def custom_field_delete(*, by: User, field_id: int) -> int:
    """Delete a custom field and remove its values from every record (admins only).

    Each record that held a value gets a history entry with the old value and a new version
    (an edit form opened before is refused as stale instead of writing the value back).
    Returns how many records lost a value. Works in batches of 2,000 records.
    """
    definition = _custom_field_for_admin(by=by, field_id=field_id)
    model = _CUSTOM_MODELS[definition.model]
    key = definition.key
    holders = model.objects.filter(custom__has_key=key).order_by("pk")
    removed = 0
    last_pk = 0
    now = timezone.now()
    while True:
        batch = list(
            holders.filter(pk__gt=last_pk).values_list("pk", f"custom__{key}")[:_CUSTOM_BATCH]
        )
        if not batch:
            break
        ids = [pk for pk, _value in batch]
        ChangeRecord.objects.bulk_create(
            ChangeRecord(
                model=definition.model, object_id=pk, action="update", field=f"custom.{key}",
                old_value="" if value is None else str(value), new_value="", actor=by,
            )
            for pk, value in batch
        )  # fmt: skip
        model.objects.filter(pk__in=ids).update(
            custom=_JsonKeyRemoved("custom", key), version=F("version") + 1, updated_at=now
        )
        removed += len(ids)
        last_pk = ids[-1]
    changes_record(
        instance=definition, actor=by, before=_custom_field_snapshot(definition), after=None
    )
    _settings_event(by, definition, "deleted")
    definition.delete()
    remaining = CustomField.objects.filter(model=definition.model).order_by("position", "pk")
    renumbered = list(remaining)
    for index, field in enumerate(renumbered):
        field.position = index
    CustomField.objects.bulk_update(renumbered, ["position"])
    return removed
