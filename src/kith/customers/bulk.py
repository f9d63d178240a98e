"""Writing contacts and companies in bulk, stored exactly as the services would store them:
the column tuples loaders fill (the demo, imports), tags by name, "created" history entries.
The writing itself is kith.core.bulk's. Callers clean values with kith.customers.points/
normalise and derive sort/search columns with kith.customers.indexing, as the services do.
"""

from __future__ import annotations

from kith.core.bulk import rows_insert
from kith.core.models import ChangeRecord, Tag
from kith.customers.models import Company, Contact
from kith.identity.models import User

# Rows travel from workers as tuples of these attributes (pickling model instances costs more
# than building them); kith.core.bulk.rows_insert fills any other column with the field's default.
CONTACT_ATTRS = (
    "id", "owner_id", "team_id", "first_name", "last_name", "full_name", "title", "company_id",
    "lifecycle_stage", "source_channel", "custom", "primary_email", "primary_phone",
    "sort_name", "order_name", "first_key", "last_key", "search_text",
)  # fmt: skip
POINT_ATTRS = ("contact_id", "kind", "label", "value", "is_primary")
ADDRESS_ATTRS = ("contact_id", "kind", "line1", "line2", "city", "region", "postal_code", "country")
RELATIONSHIP_ATTRS = ("from_contact_id", "to_contact_id", "kind")
CONSENT_ATTRS = ("contact_id", "channel", "purpose", "status", "at", "source")


def tag_ids(names: list[str]) -> dict[str, int]:
    """Ids of the tags named, creating missing ones."""
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


def created_record(model: type[Company] | type[Contact], ids: list[int], actor: User) -> None:
    """The "created" history entry the services write (kith.core.audit.changes_record)."""
    label = model._meta.label_lower
    # rows_insert, not bulk_create: a model instance per row cost imports half their write time.
    rows_insert(
        ChangeRecord,
        ("model", "object_id", "action", "actor_id"),
        [(label, pk, ChangeRecord.Action.CREATE.value, actor.pk) for pk in ids],
    )
