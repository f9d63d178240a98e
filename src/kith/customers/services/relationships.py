"""Links between contacts (colleague, referred_by, …), recorded in the source contact's history."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.core.models import ChangeRecord
from kith.core.validation import choice_check
from kith.customers.models import Contact, Relationship
from kith.identity.access import for_write, visible_to
from kith.identity.models import User


@transaction.atomic
def relationship_create(
    *, by: User, from_contact_id: int, to_contact_id: int, kind: str
) -> Relationship:
    """Link two visible contacts: `from` is `kind` of `to` (e.g. referred_by)."""
    errors: dict[str, str] = {}
    choice_check(kind, Relationship.Kind.values, field="kind", errors=errors)
    if from_contact_id == to_contact_id:
        errors["to_contact_id"] = _("A contact cannot be related to itself.")
    if errors:
        raise FieldError(errors)
    source = for_write(Contact, module="contacts", by=by, pk=from_contact_id, right="edit")
    target = (
        visible_to(Contact.objects.all(), user=by, module="contacts")
        .filter(pk=to_contact_id)
        .first()
    )
    if target is None:
        raise FieldError.one(
            "to_contact_id", _("This contact does not exist or is not visible to you.")
        )
    relationship, created = Relationship.objects.get_or_create(
        from_contact=source, to_contact=target, kind=kind
    )
    if created:
        ChangeRecord.objects.create(
            model="customers.contact", object_id=source.pk, action="update", field="relationships",
            new_value=f"{Relationship.Kind(kind).label} {target.full_name}", actor=by,
        )  # fmt: skip
    return relationship


@transaction.atomic
def relationship_delete(*, by: User, relationship_id: int) -> None:
    """Remove a link between two contacts."""
    relationship = (
        Relationship.objects.select_related("to_contact").filter(pk=relationship_id).first()
    )
    if relationship is None:
        raise NotFound(_("Not found."))
    source = for_write(
        Contact, module="contacts", by=by, pk=relationship.from_contact_id, right="edit"
    )
    ChangeRecord.objects.create(
        model="customers.contact", object_id=source.pk, action="update", field="relationships",
        old_value=f"{Relationship.Kind(relationship.kind).label} {relationship.to_contact.full_name}",
        actor=by,
    )  # fmt: skip
    relationship.delete()
