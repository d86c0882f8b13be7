"""Transaction -> Order (it shadowed django.db.transaction), with its lines and events. Every row
stays: RenameModel renames the tables and the foreign keys from refunds, exit verifications and
lines follow. Permission codenames are not renamed by Django, so they are renamed here, keeping
every grant of groups (the Store manager role) and users."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

RENAMES = {"transaction": "order", "transactionline": "orderline", "transactionevent": "orderevent"}


def _rename(apps, renames: dict[str, str], word: str, new_word: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for old, new in renames.items():
        # `migrate` renames the content type itself (contenttypes injects that operation); a bare
        # MigrationExecutor does not, so it is done here when it has not happened yet.
        content_types = ContentType.objects.filter(app_label="checkout")
        if not content_types.filter(model=new).exists():
            content_types.filter(model=old).update(model=new)
        content_type = content_types.filter(model=new).first()
        if content_type is None:
            continue  # a fresh database: permissions are created once migrated
        for perm in Permission.objects.filter(content_type=content_type, codename__endswith=f"_{old}"):
            codename = perm.codename.removesuffix(old) + new
            existing = Permission.objects.filter(content_type=content_type, codename=codename).first()
            if existing is not None:  # made by a post_migrate in between: move the grants to it
                existing.group_set.add(*perm.group_set.all())
                existing.user_set.add(*perm.user_set.all())
                perm.delete()
                continue
            perm.codename = codename
            perm.name = perm.name.replace(word, new_word)  # "Can view transaction line"
            perm.save(update_fields=["codename", "name"])


def forwards(apps, schema_editor):
    _rename(apps, RENAMES, "transaction", "order")


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMES.items()}, "order", "transaction")


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0004_gateway_discrepancy_audit_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("Transaction", "Order"),
        migrations.RenameModel("TransactionLine", "OrderLine"),
        migrations.RenameModel("TransactionEvent", "OrderEvent"),
        migrations.AlterModelOptions(
            name="order",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [("refund_order", "Can refund orders")],
            },
        ),
        migrations.AlterField(
            model_name="order",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="orders",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
