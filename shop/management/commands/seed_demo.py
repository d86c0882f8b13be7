from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalog.demo import seed_catalog, seed_stores
from promotions.demo import seed_promotions


class Command(BaseCommand):
    help = (
        "Load the demo shop: categories, products, promotions and a manager login. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=10_000, help="1 to 1,000,000")
        parser.add_argument(
            "--stores", type=int, default=1, help="1 (one shop, as before) to 500: a chain"
        )
        parser.add_argument("--password", default="scan-and-go", help="for the 'manager' login")

    def handle(self, *args, products: int, stores: int, password: str, **options):
        if not 1 <= products <= 1_000_000:
            raise CommandError("--products must be between 1 and 1,000,000.")
        if not 1 <= stores <= 500:
            raise CommandError("--stores must be between 1 and 500.")
        created = seed_catalog(products)
        self.stdout.write(f"Products: {created} created, {products} in the demo catalog.")
        if stores > 1:
            opened = seed_stores(stores)
            self.stdout.write(f"Stores: {opened} created, {stores} in the demo chain.")
        for line in seed_promotions():
            self.stdout.write(f"Promotion {line}")
        if not settings.DEBUG:
            # Everyone who read the README knows the demo's password: never on a real shop.
            self.stdout.write(
                self.style.WARNING(
                    "DEBUG is off: not creating the demo login 'manager' with its well-known "
                    "password. Create your own administrator with: "
                    "python manage.py createsuperuser"
                )
            )
            return
        user, new = get_user_model().objects.get_or_create(
            username="manager", defaults={"is_staff": True, "is_superuser": True}
        )
        if new:
            user.set_password(password)
            user.save(update_fields=["password"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin: {settings.PUBLIC_BASE_URL}/admin/  user: manager  password: "
                + (
                    password
                    if user.check_password(password)
                    else "(changed since the demo was loaded)"
                )
            )
        )
