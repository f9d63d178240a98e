"""Duplicates during an import beyond the exact keys: rows of people that only look like
someone already in the base (the name with or without diacritics, in hanzi or pinyin, first
and last name swapped), found by the same blocking and scoring as the on-entry check
(kith.intake.dedupe.contact_duplicates_find), and the user's choice per match in the preview
(skip, merge into that record, create anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.importing import Checked, ImportContext, ImportSpec
from kith.identity.access import visible_to
from kith.identity.models import User
from kith.intake.models import ImportJob

# The on-entry check's score (0-100) from which a similar name counts as the same person.
FUZZY_SCORE = 90
# Rows of the preview looked up for similar names (one indexed lookup each).
PREVIEW_ROWS = 500


def _name_of(item: Checked) -> dict[str, str]:
    v = item.values
    return {
        "first_name": v.get("first_name", ""),
        "last_name": v.get("last_name", ""),
        "full_name": v.get("full_name", ""),
    }


def fuzzy_matches(spec: ImportSpec, ctx: ImportContext, checked: list[Checked]) -> dict[int, int]:
    """Row number -> id of the contact `ctx.by` may see whose name the row's is most like
    (score >= FUZZY_SCORE), for the rows of people without problems."""
    if not spec.person:
        return {}
    from kith.intake.dedupe import contact_duplicates_find

    found: dict[int, int] = {}
    for item in checked:
        if item.problems or not item.values:
            continue
        candidates = contact_duplicates_find(user=ctx.by, **_name_of(item), limit=1)
        if candidates and candidates[0].score >= FUZZY_SCORE:
            found[item.number] = candidates[0].record.pk
    return found


def contact_matcher(by: User) -> Any:
    """name -> the contact `by` may see whose name it most likely is (score >= FUZZY_SCORE),
    for rows of orders, interactions, … whose contact is not found by email, phone or id."""
    from kith.intake.dedupe import contact_duplicates_find

    cache: dict[str, int | None] = {}

    def match(name: str) -> int | None:
        if name not in cache:
            found = contact_duplicates_find(user=by, full_name=name, limit=1)
            cache[name] = found[0].record.pk if found and found[0].score >= FUZZY_SCORE else None
        return cache[name]

    return match


@dataclass
class Match:
    """A row of the file and the record it may be: `exact` (same email/phone, …) or a
    similar name (`score`)."""

    number: int
    name: str
    record_id: int
    record_name: str
    exact: bool
    score: float
    choice: str  # "skip", "merge" or "create": the user's, else the import's policy


def import_matches(*, job: ImportJob, by: User, items: list[Checked], spec: ImportSpec,
                   ctx: ImportContext, limit: int = 200) -> list[Match]:  # fmt: skip
    """The possible duplicates among the preview's checked rows, first `limit`."""
    valid = [item for item in items if not item.problems]
    existing = spec.existing(ctx, valid) if spec.existing and valid else {}
    exact = {valid[index].number: record for index, record in existing.items()}
    fuzzy = fuzzy_matches(spec, ctx, [i for i in valid[:PREVIEW_ROWS] if i.number not in exact])
    wanted = sorted(exact.items())[:limit] + sorted(fuzzy.items())[:limit]
    wanted.sort()
    model = spec.tables[0] if spec.tables else None
    names: dict[int, str] = {}
    if model is not None and wanted:
        field = "full_name" if hasattr(model, "full_name") else "name"
        names = dict(model.objects.filter(pk__in={r for _n, r in wanted}).values_list("pk", field))
    by_number = {item.number: item for item in valid}
    choices = job.choices or {}
    matches = []
    for number, record_id in wanted[:limit]:
        values = by_number[number].values
        is_exact = number in exact
        default = job.on_duplicate if is_exact else job.on_fuzzy
        matches.append(
            Match(
                number=number,
                name=values.get("full_name") or values.get("name", ""),
                record_id=record_id,
                record_name=names.get(record_id, ""),
                exact=is_exact,
                score=100.0 if is_exact else 90.0,
                choice=choices.get(str(number), default).partition(":")[0],
            )
        )
    return matches


def choices_check(*, by: User, job: ImportJob, choices: dict[str, str]) -> dict[str, str]:
    """The user's choices, checked: row numbers, an action, and a record to merge into that
    `by` may see (so a form cannot merge into someone else's contact)."""
    from django.apps import apps

    from kith.core.doors import import_kinds

    entry = import_kinds()[job.kind]
    model: Any = apps.get_model(entry.model)
    result: dict[str, str] = {}
    records: set[int] = set()
    for number, value in choices.items():
        action, _colon, record = str(value).partition(":")
        if not str(number).isdigit() or action not in ImportJob.OnDuplicate.values:
            raise FieldError.one("choices", _("Choose skip, merge or create."))
        if record:
            if not record.isdigit():
                raise FieldError.one("choices", _("Choose skip, merge or create."))
            records.add(int(record))
        result[str(int(number))] = f"{action}:{record}" if record else action
    if records:
        visible = set(
            visible_to(model.objects.all(), user=by, module=entry.module)
            .filter(pk__in=records)
            .values_list("pk", flat=True)
        )
        if records - visible:
            raise FieldError.one("choices", _("This record does not exist."))
    return result
