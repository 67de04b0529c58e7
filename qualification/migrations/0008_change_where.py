"""Where a teammate made an edit ("in conversation #96") and the page it was made on."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("qualification", "0007_definitions_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="attributechange",
            name="where",
            field=models.CharField(
                blank=True,
                help_text="Where a teammate made it: 'in conversation #96'.",
                max_length=100,
            ),
        ),
        migrations.AddField(
            model_name="attributechange",
            name="where_url",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
