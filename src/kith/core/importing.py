"""What an import kind declares, for kith.intake's one import pipeline.

An app that can take its records from a file (contacts, companies, leads, orders,
interactions, and whatever later apps add) builds one `ImportSpec` in its own `importing`
module and names it on its `ImportKind` door (kith.core.apps). The spec says which fields a
file can fill (with the column names that suggest each, and the label the preview shows), how
one row is checked (with the app's own validation, so the import says what the form and API
say), how a batch of checked rows is looked up against what exists, written in bulk, merged
into an existing record, and undone. Intake reads the file, maps the columns, runs the one
row-check loop (over several processes for a large file), finds duplicates, applies the
user's choice and keeps the error file, the progress and the undo record.

`row_check` must not touch the database: it runs in worker processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.text import clean

Problem = tuple[str, str]  # (column, message)


@dataclass(frozen=True)
class ImportField:
    """A field a file's column can fill: its name, the label the preview's column menu shows,
    and the header names (folded, separators removed) that suggest it."""

    name: str
    label: Any
    synonyms: tuple[str, ...] = ()


class Cells:
    """The mapped cells of one row, and the column each field came from (for messages)."""

    __slots__ = ("cells", "columns", "problems")

    def __init__(self, row: Sequence[str], header: Sequence[str], mapping: dict[str, str]):
        # field -> [(column, raw cell), ...] in file order (a field can be mapped twice:
        # two email columns)
        self.cells: dict[str, list[tuple[str, str]]] = {}
        self.columns = mapping
        for index, column in enumerate(header):
            target = mapping.get(column, "")
            if target and index < len(row) and row[index].strip():
                self.cells.setdefault(target, []).append((column, row[index]))
        self.problems: list[Problem] = []

    def raw(self, name: str) -> str:
        """The first cell mapped to `name`, as in the file ("" when none)."""
        found = self.cells.get(name)
        return found[0][1] if found else ""

    def all(self, name: str) -> list[str]:
        return [raw for _column, raw in self.cells.get(name, ())]

    def get(self, name: str) -> str:
        """The first cell mapped to `name`, cleaned (see kith.core.text.clean)."""
        found = self.cells.get(name)
        return clean(found[0][1]) if found else ""

    def column(self, name: str, index: int = 0, fallback: str = "") -> str:
        """The column `name` came from; for an empty cell, the column mapped to it."""
        found = self.cells.get(name)
        if found and index < len(found):
            return found[index][0]
        mapped = [c for c, t in self.columns.items() if t == name]
        return mapped[0] if mapped else (fallback or name)

    def fail(self, name: str, message: str, *, index: int = 0, fallback: str = "") -> None:
        self.problems.append((self.column(name, index, fallback), message))

    def text(self, name: str, limit: int, *, required: bool = False) -> str:
        value = self.get(name)
        if required and not value:
            self.fail(name, _("This field is required."))
        if len(value) > limit:
            self.fail(name, _("Use at most %(n)d characters.") % {"n": limit})
        return value[:limit]

    def when(self, name: str) -> datetime | None:
        """A date or date and time in ISO or day/month/year form, in the site's time zone."""
        raw = self.get(name)
        if not raw:
            return None
        parsed = when_parse(raw)
        if parsed is None:
            self.fail(name, _("“%(v)s” is not a date (use 2026-03-31).") % {"v": raw[:40]})
        return parsed


_DATE_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%d/%m/%Y %H:%M")


def when_parse(raw: str) -> datetime | None:
    """ "2026-03-31", "2026-03-31T09:30", "31/03/2026 09:30", … as an aware datetime (a date
    alone is noon), or None."""
    parsed: datetime | None = None
    try:
        parsed = parse_datetime(raw.replace("/", "-")) if "T" in raw or ":" in raw else None
        if parsed is None and (only_date := parse_date(raw)) is not None:
            parsed = datetime.combine(only_date, time(12))
    except ValueError:
        parsed = None
    for pattern in _DATE_FORMATS if parsed is None else ():
        try:
            parsed = datetime.strptime(raw, pattern)
            break
        except ValueError:
            continue
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@dataclass
class Checked:
    """One row of a file, checked: `values` for the writer, or the problems that stop it."""

    number: int  # as the user counts it in the file: the header is row 1
    row: Sequence[str]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class BatchOutcome:
    """What writing one batch did: the ids created, the records merged into (id, their values
    before, for undo), rows skipped, and rows the writer refused (number, column, message)."""

    created_ids: list[int] = field(default_factory=list)
    updated: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    skipped: int = 0
    failures: list[tuple[int, str, str, Sequence[str]]] = field(default_factory=list)


@dataclass
class ImportContext:
    """Who imports, how duplicates are handled, the column mapping and the file's name."""

    by: Any  # kith.identity.models.User
    policy: str  # "skip", "merge" or "create"
    mapping: dict[str, str]
    filename: str = ""
    on_fuzzy: str = "create"  # what a row that only looks like an existing record gets
    first_load: bool = False  # the kind's tables were empty when the import started
    # name -> id of the contact of a similar name `by` may see, or None: set when rows that
    # name their contact (orders, interactions) may be attached to such a match.
    contact_match: Callable[[str], int | None] | None = None

    def column(self, name: str) -> str:
        """The column mapped to field `name` (for a writer's messages)."""
        return next((c for c, t in self.mapping.items() if t == name), name)


# Rows that are the same as a record the base holds: items -> {index in items: record id}.
Existing = Callable[[ImportContext, list[Checked]], dict[int, int]]


@dataclass(frozen=True)
class ImportSpec:
    """An import kind (see the module docstring).

    - row_check(cells, item): fill item.values from the row's cells, or call cells.fail. No
      database: it runs in worker processes.
    - batch_check(ctx, items): the checks that need the database (the contact a row names,
      the product); add problems to the items.
    - keys(item): the row's normalised duplicate keys ("email:ann@example.com"), which also
      find the same record twice in one file; None when the kind has no such keys.
    - existing: rows already in the base, as a set-based lookup over the batch's keys.
    - write(ctx, items): write the rows in bulk; merge(ctx, item, record_id): fill the record
      from the row (returns its values before, or None when nothing changed).
    - undo(ranges, updates, actor_id): remove what was created, put back what was merged into
      (actor_id: who ran the import, for merges recorded before their history ids were kept).
    - group_field: rows sharing this field's value are one record (an order's lines) and a
      batch never splits them.
    - person: rows are people (fuzzy name duplicates are looked for).
    - bulk: the writer writes a batch in a few statements (larger batches pay off).
    """

    fields: tuple[ImportField, ...]
    row_check: Callable[[Cells, Checked], None]
    write: Callable[[ImportContext, list[Checked]], BatchOutcome]
    undo: Callable[[list[list[int]], list[Any], int | None], None]
    batch_check: Callable[[ImportContext, list[Checked]], None] | None = None
    keys: Callable[[Checked], list[str]] | None = None
    existing: Existing | None = None
    merge: Callable[[ImportContext, Checked, int], dict[str, Any] | None] | None = None
    group_field: str = ""
    person: bool = False
    bulk: bool = False  # written in bulk: large batches (fewer commits and look-ups per row)
    tables: tuple[Any, ...] = ()  # models a first load writes (indexes deferred when empty)

    def synonyms(self) -> dict[str, tuple[str, ...]]:
        return {f.name: f.synonyms for f in self.fields}

    def labels(self) -> dict[str, Any]:
        return {f.name: f.label for f in self.fields}


def service_failures(item: Checked, exc: Exception, ctx: ImportContext) -> list:
    """A service's refusal of one row as error-file lines naming the file's columns."""
    errors = exc.errors if isinstance(exc, FieldError) else {"": str(exc)}
    columns = {target: column for column, target in ctx.mapping.items() if target}
    return [
        (item.number, columns.get(name.split(".")[0], name), str(message), item.row)
        for name, message in errors.items()
    ]


def fields_snapshot(instance: Any) -> dict[str, Any]:
    """Every concrete field but the primary key, as JSON-safe values (see fields_restore)."""
    values = {}
    for f in instance._meta.concrete_fields:
        if f.primary_key:
            continue
        raw = getattr(instance, f.attname)
        values[f.attname] = (
            raw
            if f.get_internal_type() == "JSONField"
            else f.value_to_string(instance)
            if raw is not None
            else None
        )
    return values


def fields_restore(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The model values of a fields_snapshot, for QuerySet.update (which leaves auto_now
    columns as given)."""
    restored = {}
    for f in model._meta.concrete_fields:
        if f.attname in values:
            raw = values[f.attname]
            restored[f.attname] = (
                raw if raw is None or f.get_internal_type() == "JSONField" else f.to_python(raw)
            )
    return restored


def ranges_add(ranges: list[list[int]], ids: Sequence[int]) -> list[list[int]]:
    """`ranges` ([first, last] pairs) extended by `ids`, consecutive ids joined."""
    result = [list(r) for r in ranges]
    for pk in sorted(ids):
        if result and result[-1][1] + 1 == pk:
            result[-1][1] = pk
        else:
            result.append([pk, pk])
    return result


def created_undo(model: Any, ranges: list[list[int]]) -> None:
    """Delete the records of `model` in `ranges` and their history entries."""
    from kith.core.models import ChangeRecord

    label = model._meta.label_lower
    for first, last in ranges:
        model.objects.filter(pk__gte=first, pk__lte=last).delete()
        ChangeRecord.objects.filter(model=label, object_id__gte=first, object_id__lte=last).delete()


def updates_undo(model: Any, updates: list[Any], *, actor_id: int | None = None) -> None:
    """Put back the records an import merged rows into (ImportUpdate rows, newest first):
    their fields, the points they gained, and the history entries the merge wrote."""
    from kith.core.models import ChangeRecord

    label = model._meta.label_lower
    for update in updates:
        model.objects.filter(pk=update.record_id).update(
            **fields_restore(model, update.before["fields"])
        )
        ChangeRecord.objects.filter(pk__in=update.before.get("changes", [])).delete()
        if actor_id is not None:
            ChangeRecord.objects.filter(
                model=label, object_id=update.record_id, field="import", actor_id=actor_id
            ).delete()
