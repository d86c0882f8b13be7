"""A deterministic demo purchase history with real co-purchase patterns, so that a fresh install
shows sensible recommendations (seed_demo) and the benchmark has a history to learn from.

Each order is one demo shopper's (or an anonymous device's): some of the shopper's regular items,
now and then one of the PAIRS below, bought together, one or two shopping missions (a recipe, a
breakfast, a cleaning day: a few of a fixed group of MISSION products, popular missions more
often) and a few products on impulse, popular ones more often (a Zipf-like long tail).
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from catalog.models import Category, Product, StockMovement, StoreProduct, get_home_store
from checkout.models import Order, OrderLine

# Shelf codes far above the demo catalogue's (10000 + up to 1,000,000 products).
PAIRS = [
    (
        ("9000001", "Spaghetti 500 g", "pantry", "1.29"),
        ("9000002", "Tomato & Basil Pasta Sauce 400 g", "pantry", "2.19"),
    ),
    (
        ("9000003", "Penne 500 g", "pantry", "1.19"),
        ("9000004", "Green Pesto 190 g", "pantry", "2.49"),
    ),
    (
        ("9000005", "Sea Salt Crisps 150 g", "snacks", "1.79"),
        ("9000006", "Sour Cream & Chive Dip 200 g", "snacks", "1.99"),
    ),
    (
        ("9000007", "Tortilla Chips 200 g", "snacks", "1.69"),
        ("9000008", "Chunky Salsa Dip 300 g", "snacks", "2.29"),
    ),
    (
        ("9000009", "Nappies Size 4, 36 pack", "personal-care", "9.99"),
        ("9000010", "Baby Wipes 64 pack", "personal-care", "1.49"),
    ),
    (
        ("9000011", "Brioche Burger Buns 4 pack", "bakery", "1.89"),
        ("9000012", "Beef Burgers 4 pack", "meat", "4.49"),
    ),
]
DEMO_ORDER_PREFIX = "demo-"
PAIR_CHANCE = 0.12  # an order holds a given pair's first product this often...
PARTNER_CHANCE = 0.8  # ...and then its partner this often
ANONYMOUS_SHARE = 0.3
MISSION = 8  # products per shopping mission
BATCH = 2_000


@dataclass(frozen=True)
class DemoOrder:
    shopper: int | None  # index of the demo shopper; None: an anonymous device
    day: int  # days since the first order
    products: list[str]  # shelf codes, in the order scanned


def demo_orders(
    catalogue: list[str], *, orders: int, shoppers: int, days: int, seed: int = 15
) -> Iterator[DemoOrder]:
    """`orders` orders over `days` days, oldest first, the same for the same arguments."""
    rng = random.Random(seed)
    # Popularity falls with rank (1/rank): a few best-sellers and a long tail.
    cumulative = list(_accumulate([1 / (rank + 1) for rank in range(len(catalogue))]))
    shuffled = rng.sample(catalogue, k=len(catalogue))
    missions = [shuffled[i : i + MISSION] for i in range(0, len(shuffled), MISSION)]
    mission_weights = list(_accumulate([1 / (rank + 1) for rank in range(len(missions))]))
    pair_codes = [(a[0], b[0]) for a, b in PAIRS]
    regulars = [
        rng.sample(catalogue, k=min(len(catalogue), rng.randint(3, 7)))
        + [rng.choice(pair)[0] for pair in rng.sample(PAIRS, k=1)]
        for _ in range(shoppers)
    ]
    for n in range(orders):
        shopper = (
            None if rng.random() < ANONYMOUS_SHARE or not shoppers else rng.randrange(shoppers)
        )
        basket = (
            {}
            if shopper is None
            else dict.fromkeys(code for code in regulars[shopper] if rng.random() < 0.5)
        )
        for first, partner in pair_codes:
            if rng.random() < PAIR_CHANCE:
                basket[first] = None
                if rng.random() < PARTNER_CHANCE:
                    basket[partner] = None
        for mission in rng.choices(missions, cum_weights=mission_weights, k=rng.randint(1, 2)):
            basket.update(
                dict.fromkeys(rng.sample(mission, k=min(len(mission), rng.randint(2, 4))))
            )
        for code in rng.choices(catalogue, cum_weights=cumulative, k=rng.randint(1, 5)):
            basket[code] = None
        products = list(basket)
        rng.shuffle(products)
        yield DemoOrder(shopper=shopper, day=n * days // orders, products=products)


def _accumulate(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def seed_pair_products() -> list[str]:
    """The PAIRS' products, in their categories, stocked in the home store (kept if present)."""
    home = get_home_store()
    created = []
    for pair in PAIRS:
        for code, name, slug, price in pair:
            category, _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": slug.replace("-", " ").title()}
            )
            product, new = Product.objects.get_or_create(
                product_id=code,
                defaults={
                    "name": name,
                    "description": f"{name}. Often bought with its partner at our shop.",
                    "category": category,
                    "price": Decimal(price),
                    "stock": Decimal(200),
                    "reorder_level": Decimal(10),
                },
            )
            if new:
                StoreProduct.objects.create(store=home, product=product, stock=product.stock)
                StockMovement.objects.create(
                    product=product,
                    store=home,
                    delta=product.stock,
                    resulting_stock=product.stock,
                    reason=StockMovement.Reason.SEED,
                    note="demo shop opening stock",
                )
                created.append(code)
    return created


def demo_shoppers(count: int) -> list[int]:
    """Primary keys of `count` demo shoppers (shopper1@demo.example, ...), made if missing;
    none can sign in until given a password."""
    User = get_user_model()
    names = [f"shopper{n}@demo.example" for n in range(1, count + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        User(username=name, email=name, password=make_password(None))
        for name in names
        if name not in existing
    )
    keys = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    return [keys[name] for name in names]


def seed_purchase_history(
    *, orders: int = 3_000, shoppers: int = 60, days: int = 120, end: datetime | None = None
) -> int:
    """Paid demo orders ending today (or `end`), unless there are some already; returns how
    many were made. Products the catalogue lacks are skipped."""
    if Order.objects.filter(transaction_id__startswith=DEMO_ORDER_PREFIX).exists():
        return 0
    products = {
        p.product_id: p
        for p in Product.objects.filter(is_active=True).only(
            "pk", "product_id", "name", "unit", "price"
        )
    }
    pair_codes = {code for pair in PAIRS for code, *_ in pair}
    catalogue = sorted(code for code in products if code not in pair_codes)
    users = demo_shoppers(shoppers)
    start = (end or timezone.now()) - timedelta(days=days)
    batch: list[DemoOrder] = []
    made = 0
    history = demo_orders(catalogue, orders=orders, shoppers=shoppers, days=days)
    for number, order in enumerate(history):
        batch.append(order)
        if len(batch) == BATCH or number == orders - 1:
            _insert(batch, first=made, products=products, users=users, start=start)
            made += len(batch)
            batch = []
    return made


def _insert(batch: list[DemoOrder], *, first: int, products, users, start: datetime) -> None:
    rows, lines = [], []
    for n, demo in enumerate(batch, start=first):
        bought = [products[code] for code in demo.products if code in products]
        total = sum((p.price for p in bought), Decimal(0))
        rows.append(
            Order(
                transaction_id=f"{DEMO_ORDER_PREFIX}{n:07d}",
                user_id=None if demo.shopper is None else users[demo.shopper],
                status=Order.Status.SUCCEEDED,
                payment_method="card",
                gateway="simulated",
                currency=settings.CURRENCY,
                subtotal=total,
                discount_total=Decimal(0),
                total=total,
            )
        )
        lines.append(bought)
    with transaction.atomic():
        created = Order.objects.bulk_create(rows)
        OrderLine.objects.bulk_create(
            OrderLine(
                transaction_id=order.pk,
                product_id=product.pk,
                product_code=product.product_id,
                name=product.name,
                unit=product.unit,
                quantity=Decimal(1),
                unit_price=product.price,
                discount=Decimal(0),
                line_total=product.price,
                paid=product.price,
            )
            for order, bought in zip(created, lines, strict=True)
            for product in bought
        )
        # created_at is auto_now_add: move each day's orders to their day (noon), in one
        # update per day rather than one per order.
        by_day: dict[int, list[int]] = {}
        for order, demo in zip(created, batch, strict=True):
            by_day.setdefault(demo.day, []).append(order.pk)
        for day, keys in by_day.items():
            moment = start + timedelta(days=day)
            Order.objects.filter(pk__in=keys).update(created_at=moment, updated_at=moment)
