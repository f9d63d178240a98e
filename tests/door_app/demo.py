from kith.customers.models import Contact
from tests.door_app.models import Stamp


def stamps_load(context) -> None:
    """One stamp on the first demo contact."""
    contact = Contact.objects.order_by("pk").first()
    Stamp.objects.create(contact=contact, note="demo")
    context.counts["stamps"] = 1
    context.report("Stamps", 1, 1)
