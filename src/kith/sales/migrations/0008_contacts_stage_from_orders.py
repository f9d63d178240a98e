"""One-off (#17): the existing subscribers and leads with a paid order become customers, each
change in their history. Afterwards the order events keep it so
(kith.sales.services.lifecycle)."""

from django.db import migrations
from django.db.models import Exists, F, OuterRef

PAID = ("paid", "fulfilled", "partially_refunded")


def stages_from_orders(apps, schema_editor):
    Contact = apps.get_model("customers", "Contact")
    Order = apps.get_model("sales", "Order")
    ChangeRecord = apps.get_model("core", "ChangeRecord")
    paid = Order.objects.filter(contact_id=OuterRef("pk"), status__in=PAID)
    candidates = Contact.objects.filter(lifecycle_stage__in=("subscriber", "lead")).filter(
        Exists(paid)
    )
    last = 0
    while True:
        chunk = list(
            candidates.filter(pk__gt=last).order_by("pk").values_list("pk", "lifecycle_stage")[:2000]
        )
        if not chunk:
            return
        pks = [pk for pk, _stage in chunk]
        Contact.objects.filter(pk__in=pks).update(
            lifecycle_stage="customer", version=F("version") + 1
        )
        ChangeRecord.objects.bulk_create(
            ChangeRecord(
                model="customers.contact", object_id=pk, action="update",
                field="lifecycle_stage", old_value=stage, new_value="customer",
            )
            for pk, stage in chunk
        )
        last = pks[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0007_exchange_rates"),
        ("core", "0005_domain_events"),
        ("customers", "0003_search_index"),
    ]

    operations = [migrations.RunPython(stages_from_orders, migrations.RunPython.noop)]
