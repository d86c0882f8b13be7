from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ShopConfig(AppConfig):
    """The manager-facing parts that span the domain apps (the admin dashboard, the roles); the one
    app allowed to import all the others, so that grocery/ (the kernel) and the domain apps need not."""

    name = "shop"
    verbose_name = "Shop"

    def ready(self):
        from shop.roles import sync_after_migrate

        post_migrate.connect(sync_after_migrate, dispatch_uid="shop.sync_role_permissions")
