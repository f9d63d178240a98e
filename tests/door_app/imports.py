from django.db import transaction

from kith.core.apps import ImportKind
from kith.core.bulk import next_id, rows_insert
from kith.core.importing import (
    BatchOutcome,
    Cells,
    Checked,
    ImportContext,
    ImportField,
    ImportSpec,
    created_undo,
)
from kith.customers.import_refs import CONTACT_REF_FIELDS, contact_ref_check, contact_refs_resolve

STAMPS = ImportKind(
    "stamps",
    "Stamps",
    model="door_app.stamp",
    module="stamps",
    order=60,
    spec="tests.door_app.imports:STAMP_SPEC",
)


def _check(cells: Cells, item: Checked) -> None:
    contact_ref_check(cells, item)
    item.values["note"] = cells.text("note", 80, required=True)


def _write(ctx: ImportContext, items: list[Checked]) -> BatchOutcome:
    from tests.door_app.models import Stamp

    with transaction.atomic():
        base = next_id(Stamp)
        rows = [
            (base + i, it.values["contact_id"], it.values["note"]) for i, it in enumerate(items)
        ]
        rows_insert(Stamp, ("id", "contact_id", "note"), rows)
    return BatchOutcome(created_ids=[row[0] for row in rows])


def _undo(ranges: list[list[int]], updates: list, actor_id: int | None) -> None:
    from tests.door_app.models import Stamp

    created_undo(Stamp, ranges)


STAMP_SPEC = ImportSpec(
    fields=(*CONTACT_REF_FIELDS, ImportField("note", "Note", ("note", "stamp"))),
    row_check=_check,
    batch_check=contact_refs_resolve,
    write=_write,
    undo=_undo,
)
