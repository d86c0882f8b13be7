"""No-op, kept so that the migration history of existing databases holds.

It used to create the shop's roles, which made the catalog depend on shop.roles; the roles are
now created by shop/migrations/0001_roles.py (idempotent, so it is harmless where this one ran).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0002_stock_alerts_and_imports"),
    ]

    operations = []
