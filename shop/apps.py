from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The manager-facing parts that span the domain apps (the admin dashboard); the one app allowed
    to import all the others, so that grocery/ (the kernel) and the domain apps need not."""

    name = "shop"
    verbose_name = "Shop"
