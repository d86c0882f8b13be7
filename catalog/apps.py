from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from catalog.roles import sync_after_migrate

        post_migrate.connect(sync_after_migrate, dispatch_uid="catalog.sync_role_permissions")
