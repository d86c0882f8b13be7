"""Create the "Store manager" and "Staff" groups with their permissions (see shop.roles).

This took over from catalog/migrations/0003_shop_roles.py, now a no-op, so that no domain app
names the roles. It runs after the domain apps' migrations, so their permissions exist, and it
only adds (get_or_create, permissions.add): on a database that already has the roles it changes
nothing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    from shop.roles import sync_role_permissions

    # Permissions are normally created after all migrations; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_permissions(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Store manager", "Staff"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("catalog", "0004_stock_count_requests"),
        ("checkout", "0004_gateway_discrepancy_audit_log"),
        ("promotions", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
