"""Merging duplicate contacts (or companies) into a survivor, and undoing a merge exactly.

Generic on purpose: every row of every installed model that points at a merged record moves to
the survivor — ForeignKeys and many-to-many links (their through tables hold ForeignKeys) found
through Django's model registry, and generic references (`record_model`, `record_id`) — so
deals, orders, tickets and interactions of other apps are covered without importing them. A row
that cannot move (it would break a unique or check constraint, e.g. the same email on both
contacts, or a relationship between the two) is deleted, and saved for undo. Everything done is
recorded in a MergeRecord so that `merge_undo` restores exactly the rows there were before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.core.events import event_record
from kith.core.models import ChangeRecord
from kith.customers.indexing import company_index_fields, contact_index_fields
from kith.customers.models import Company, ContactPoint
from kith.identity.access import require, visible_to
from kith.identity.models import SecurityEvent, User
from kith.identity.security import security_event_record
from kith.intake.imports import fields_restore, fields_snapshot
from kith.intake.models import DuplicatePair, MergeRecord
from kith.sales.models import PurchaseSummary
from kith.sales.services import purchase_summaries_refresh

MODULES = {"customers.contact": "contacts", "customers.company": "companies"}
# Fields of the survivor a reviewer may pick from another record of the cluster.
MERGE_FIELDS = {
    "customers.contact": ("full_name", "first_name", "last_name", "title", "company_id",
                          "lifecycle_stage", "source_channel"),
    "customers.company": ("name", "domain", "industry", "size"),
}  # fmt: skip


def _model(label: str) -> type[models.Model]:
    if label not in MODULES:
        raise FieldError.one("model", _("Only contacts and companies can be merged."))
    return apps.get_model(label)


def _pointing_fields(target: type[models.Model]) -> list[tuple[type[models.Model], Any]]:
    """(model, field) for every ForeignKey/OneToOne in any installed model (auto-created
    through tables included) that points at `target`; intake's own bookkeeping excluded."""
    found = []
    tables = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label == "intake" or model._meta.db_table not in tables:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is target:
                found.append((model, f))
    return found


def _generic_models() -> list[type[models.Model]]:
    found = []
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        names = {f.attname for f in model._meta.concrete_fields}
        if {"record_model", "record_id"} <= names and model._meta.app_label != "intake":
            found.append(model)
    return found


def merge_defaults(records: Sequence[Any], label: str) -> dict[str, Any]:
    """The value to keep per field: the most recently updated record's non-empty value, else
    the most complete (longest) one."""
    chosen: dict[str, Any] = {}
    ordered = sorted(records, key=lambda r: r.updated_at, reverse=True)
    for name in MERGE_FIELDS[label]:
        values = [getattr(r, name) for r in ordered if getattr(r, name) not in (None, "")]
        chosen[name] = values[0] if values else getattr(ordered[0], name)
    return chosen


def _record(ops: list[dict], model: type[models.Model], pk: Any, attname: str, old: Any) -> None:
    ops.append({"op": "set", "model": model._meta.label_lower, "pk": pk, "attname": attname,
                "old": old})  # fmt: skip


@transaction.atomic
def records_merge(
    *,
    by: User,
    label: str,
    survivor_id: int,
    merged_ids: Sequence[int],
    values: Mapping[str, Any] | None = None,
) -> MergeRecord:
    """Merge `merged_ids` into `survivor_id` (both visible to and editable by `by`); `values`
    picks survivor field values (defaults: merge_defaults). Returns the record for undo."""
    model = _model(label)
    module = MODULES[label]
    # Edit, not delete: nothing is lost in a merge (every row moves, and it can be undone).
    require(by, module, "edit")
    merged_ids = sorted({int(i) for i in merged_ids} - {int(survivor_id)})
    if not merged_ids:
        raise FieldError.one("merged_ids", _("Choose at least one other record to merge."))
    visible = visible_to(model._base_manager.all(), user=by, module=module)
    records = {
        r.pk: r for r in visible.select_for_update().filter(pk__in=[survivor_id, *merged_ids])
    }
    if len(records) != len(merged_ids) + 1:
        raise NotFound(_("A record to merge does not exist or is not visible to you."))
    survivor = records[survivor_id]
    chosen = dict(merge_defaults(list(records.values()), label))
    for name, value in (values or {}).items():
        if name not in MERGE_FIELDS[label]:
            raise FieldError.one(name, _("This field cannot be chosen in a merge."))
        chosen[name] = value
    ops: list[dict] = []
    merged_rows = [{"pk": pk, "fields": fields_snapshot(records[pk])} for pk in merged_ids]
    survivor_before = fields_snapshot(survivor)
    # Purchase summaries are derived from orders: not moved row by row but recomputed for the
    # survivor once its orders are in (sales' own refresh); undo puts the old rows back.
    summaries = (
        [
            {"pk": row.pk, "fields": fields_snapshot(row)}
            for row in PurchaseSummary.objects.filter(contact_id__in=[survivor_id, *merged_ids])
        ]
        if label == "customers.contact"
        else []
    )
    for rel_model, f in _pointing_fields(model):
        if rel_model is PurchaseSummary:
            continue
        rows = rel_model._base_manager.filter(**{f"{f.attname}__in": merged_ids})
        primary = "is_primary" in {x.attname for x in rel_model._meta.concrete_fields}
        for row in list(rows):
            if primary and row.is_primary:
                # The survivor keeps its own primary email/phone; the moved one becomes extra.
                rel_model._base_manager.filter(pk=row.pk).update(is_primary=False)
                _record(ops, rel_model, row.pk, "is_primary", True)
            old = getattr(row, f.attname)
            try:
                with transaction.atomic():
                    rel_model._base_manager.filter(pk=row.pk).update(**{f.attname: survivor_id})
                _record(ops, rel_model, row.pk, f.attname, old)
            except IntegrityError:
                row.refresh_from_db()
                snapshot = fields_snapshot(row)
                rel_model._base_manager.filter(pk=row.pk).delete()
                ops.append({"op": "delete", "model": rel_model._meta.label_lower, "pk": row.pk,
                            "fields": snapshot})  # fmt: skip
    for rel_model in _generic_models():
        rows = rel_model._base_manager.filter(record_model=label, record_id__in=merged_ids)
        for pk, old in list(rows.values_list("pk", "record_id")):
            rel_model._base_manager.filter(pk=pk).update(record_id=survivor_id)
            _record(ops, rel_model, pk, "record_id", old)
    if label == "customers.contact":
        purchase_summaries_refresh(contact_ids=[survivor_id, *merged_ids])
    # Nothing points at the merged records any more, so a plain DELETE (no cascade collector)
    # removes exactly them.
    model._base_manager.filter(pk__in=merged_ids)._raw_delete(connection.alias)
    for name, value in chosen.items():
        setattr(survivor, name, value)
    index_names = _reindex(survivor, label)
    # An UPDATE of exactly these columns: the instance's other values may be stale (a self
    # reference to a merged company was just moved by the loop above).
    model._base_manager.filter(pk=survivor_id).update(
        version=survivor.version + 1,
        updated_at=timezone.now(),
        **{name: getattr(survivor, name) for name in [*chosen, *index_names]},
    )
    change = ChangeRecord.objects.create(
        model=label,
        object_id=survivor_id,
        action="update",
        field="merge",
        old_value=", ".join(str(i) for i in merged_ids),
        actor=by,
    )
    DuplicatePair.objects.filter(
        status=DuplicatePair.Status.OPEN, contact_a__in=[survivor_id, *merged_ids]
    ).update(status=DuplicatePair.Status.MERGED)
    # contacts.merged / companies.merged: handlers move what they keep per record (points,
    # survey answers, scores) from the removed ids to the kept one.
    entity = "contacts" if label == "customers.contact" else "companies"
    event_record(
        name=f"{entity}.merged", record=survivor, actor=by,
        payload={"kept": survivor_id, "removed": list(merged_ids)},
    )  # fmt: skip
    security_event_record(
        kind=SecurityEvent.Kind.MERGE, actor=by, target=f"{label}:{survivor_id}",
        detail={"removed": list(merged_ids)},
    )  # fmt: skip
    return MergeRecord.objects.create(
        model=label,
        survivor_id=survivor_id,
        merged_ids=merged_ids,
        by=by,
        undo={
            "survivor": survivor_before,
            "merged": merged_rows,
            "ops": ops,
            "summaries": summaries,
            "change_record": change.pk,
        },
    )


def _reindex(record: Any, label: str) -> list[str]:
    """Recompute the survivor's derived columns on `record`; returns their names."""
    if label == "customers.company":
        keys = company_index_fields(name=record.name, domain=record.domain)
        for name, value in keys.items():
            setattr(record, name, value)
        return list(keys)
    points = list(ContactPoint.objects.filter(contact_id=record.pk))
    primary = {p.kind: p.value for p in points if p.is_primary}
    record.primary_email = primary.get(ContactPoint.Kind.EMAIL, "")
    record.primary_phone = primary.get(ContactPoint.Kind.PHONE, "")
    company = Company.objects.filter(pk=record.company_id).first() if record.company_id else None
    keys = contact_index_fields(
        first_name=record.first_name,
        last_name=record.last_name,
        full_name=record.full_name,
        emails=[p.value for p in points if p.kind == ContactPoint.Kind.EMAIL],
        phones=[p.value for p in points if p.kind == ContactPoint.Kind.PHONE],
        socials=[p.value for p in points if p.kind == ContactPoint.Kind.SOCIAL],
        company_name=company.name if company else "",
    )
    for name, value in keys.items():
        setattr(record, name, value)
    return [*keys, "primary_email", "primary_phone"]


def _insert_exact(model: type[models.Model], pk: Any, fields: Mapping[str, Any]) -> None:
    values = fields_restore(model, dict(fields))
    instance = model(pk=pk, **values)
    model._base_manager.bulk_create([instance])
    # bulk_create stamps auto_now/auto_now_add columns; put the recorded times back.
    model._base_manager.filter(pk=pk).update(**values)


@transaction.atomic
def merge_undo(*, by: User, merge_id: int) -> MergeRecord:
    """Put back every row the merge moved, changed or deleted, and the merged records."""
    merge = MergeRecord.objects.select_for_update().filter(pk=merge_id).first()
    if merge is None:
        raise NotFound(_("This merge does not exist."))
    model = _model(merge.model)
    require(by, MODULES[merge.model], "edit")
    if (
        not visible_to(model._base_manager.all(), user=by, module=MODULES[merge.model])
        .filter(pk=merge.survivor_id)
        .exists()
    ):
        raise NotFound(_("This merge does not exist."))
    if merge.undone_at is not None:
        raise FieldError.one("merge", _("This merge has already been undone."))
    undo = merge.undo
    for row in undo["merged"]:
        _insert_exact(model, row["pk"], row["fields"])
    for op in reversed(undo["ops"]):
        rel_model = apps.get_model(op["model"])
        if op["op"] == "delete":
            _insert_exact(rel_model, op["pk"], op["fields"])
        else:
            rel_model._base_manager.filter(pk=op["pk"]).update(**{op["attname"]: op["old"]})
    model._base_manager.filter(pk=merge.survivor_id).update(
        **fields_restore(model, undo["survivor"])
    )
    if "summaries" in undo:
        PurchaseSummary.objects.filter(
            contact_id__in=[merge.survivor_id, *merge.merged_ids]
        ).delete()
        for row in undo["summaries"]:
            _insert_exact(PurchaseSummary, row["pk"], row["fields"])
    ChangeRecord.objects.filter(pk=undo["change_record"]).delete()
    DuplicatePair.objects.filter(
        status=DuplicatePair.Status.MERGED,
        contact_a__in=[merge.survivor_id, *merge.merged_ids],
    ).update(status=DuplicatePair.Status.OPEN)
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    return merge


def contacts_merge(
    *,
    by: User,
    survivor_id: int,
    merged_ids: Sequence[int],
    values: Mapping[str, Any] | None = None,
) -> MergeRecord:
    """Merge contacts into one (see records_merge)."""
    return records_merge(
        by=by, label="customers.contact", survivor_id=survivor_id, merged_ids=merged_ids,
        values=values,
    )  # fmt: skip


def companies_merge(
    *,
    by: User,
    survivor_id: int,
    merged_ids: Sequence[int],
    values: Mapping[str, Any] | None = None,
) -> MergeRecord:
    """Merge companies into one (see records_merge)."""
    return records_merge(
        by=by, label="customers.company", survivor_id=survivor_id, merged_ids=merged_ids,
        values=values,
    )  # fmt: skip
