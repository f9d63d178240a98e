"""Sales representatives seeded before this release could create and edit products, so change
the company-wide prices: take those two rights off the ready sales_rep role (kith.sales.apps
PRODUCT_GRANTS is the new default). Other roles are left as administrators made them."""

from django.db import migrations


def reps_read_only(apps, schema_editor):
    RoleGrant = apps.get_model("identity", "RoleGrant")
    RoleGrant.objects.filter(role__slug="sales_rep", module="products").update(
        can_create=False, can_edit=False, can_delete=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0009_quotas"),
        ("identity", "0003_security_event"),
    ]

    operations = [migrations.RunPython(reps_read_only, migrations.RunPython.noop)]
