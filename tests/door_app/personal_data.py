"""The door app's part of a contact's personal data (kith.core.apps.PersonalDataHandler)."""

from tests.door_app.models import Stamp


def export(contact_id: int) -> dict:
    stamps = Stamp.objects.filter(contact_id=contact_id).order_by("pk")
    return {"stamps": list(stamps.values_list("note", flat=True))}


def erase(contact_id: int) -> dict[str, int]:
    deleted, _by_model = Stamp.objects.filter(contact_id=contact_id).delete()
    return {"stamps": deleted}
