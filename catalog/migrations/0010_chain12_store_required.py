import django.db.models.deletion
from django.db import migrations, models

import catalog.models


class Migration(migrations.Migration):
    """Every stock movement, count request and alert names its store (0009 filled them in)."""

    dependencies = [
        ("catalog", "0009_chain12_store"),
    ]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="store",
            field=models.ForeignKey(
                default=catalog.models.home_store_pk,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.store",
            ),
        )
        for model in ("stockmovement", "stockcountrequest", "stockalert")
    ]
