from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("contacts", "Contacts"),
                    ("companies", "Companies"),
                    ("leads", "Leads"),
                    ("orders", "Orders"),
                    ("interactions", "Interactions"),
                ],
                max_length=16,
                verbose_name="kind",
            ),
        ),
    ]
