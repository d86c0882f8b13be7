from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalog.demo import seed_catalog, seed_price_list, seed_stores
from customers.cards import new_card_number
from customers.models import Customer
from promotions.demo import seed_promotions
from recommendations.demo import seed_pair_products, seed_purchase_history
from recommendations.services import recompute_bought_together


class Command(BaseCommand):
    help = (
        "Load the demo shop: categories, products, promotions, a purchase history (for the "
        "recommendations) and a manager login. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=10_000, help="1 to 1,000,000")
        parser.add_argument(
            "--stores", type=int, default=1, help="1 (one shop, as before) to 500: a chain"
        )
        parser.add_argument(
            "--orders", type=int, default=3_000, help="paid demo orders to learn from (0: none)"
        )
        parser.add_argument(
            "--password",
            default="scan-and-go",
            help="for the 'manager' login and the demo customer shopper1@demo.example",
        )

    def handle(self, *args, products: int, stores: int, orders: int, password: str, **options):
        if not 1 <= products <= 1_000_000:
            raise CommandError("--products must be between 1 and 1,000,000.")
        if not 1 <= stores <= 500:
            raise CommandError("--stores must be between 1 and 500.")
        if not 0 <= orders <= 1_000_000:
            raise CommandError("--orders must be between 0 and 1,000,000.")
        created = seed_catalog(products)
        self.stdout.write(f"Products: {created} created, {products} in the demo catalog.")
        if stores > 1:
            opened = seed_stores(stores)
            self.stdout.write(f"Stores: {opened} created, {stores} in the demo chain.")
            city, following = seed_price_list()
            self.stdout.write(f"Price list {city}: followed by {following} store(s).")
        for line in seed_promotions():
            self.stdout.write(f"Promotion {line}")
        if orders:
            seed_pair_products()
            made = seed_purchase_history(orders=orders)
            rows = recompute_bought_together()
            self.stdout.write(
                f"Purchase history: {made} orders created; {rows} bought-together pairs."
            )
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
        if orders:
            self._demo_customer(password)
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

    def _demo_customer(self, password: str) -> None:
        """The first demo shopper signs in to the PWA, to see "your usual items"."""
        shopper = get_user_model().objects.filter(username="shopper1@demo.example").first()
        if shopper is None:
            return
        if not shopper.has_usable_password():
            shopper.set_password(password)
            shopper.save(update_fields=["password"])
        Customer.objects.get_or_create(user=shopper, defaults={"card_number": new_card_number()})
        self.stdout.write(f"Customer: shopper1@demo.example  password: {password}")
