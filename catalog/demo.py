"""A realistic, deterministic demo catalog, written with bulk inserts (1,000,000 rows in minutes)."""

import random
from collections.abc import Iterator
from decimal import Decimal

from biip.checksums import gs1_standard_check_digit
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from catalog.models import (
    Category,
    PriceList,
    Product,
    StockMovement,
    Store,
    StoreProduct,
    Unit,
    get_home_store,
)
from catalog.services import assign_price_list, set_price_list_entries
from grocery.money import ZERO, round_money

FIRST_PRODUCT_NUMBER = 10_000  # product ids "10000", "10001", ...: short codes for the label
BATCH = 5_000

# category: (items, price range, unit for weighed items or None, share sold by weight)
CATALOG = {
    "Fruit": (
        [
            "Apples",
            "Bananas",
            "Pears",
            "Oranges",
            "Grapes",
            "Kiwis",
            "Mangoes",
            "Plums",
            "Strawberries",
            "Blueberries",
            "Lemons",
            "Pineapple",
        ],
        (0.49, 6.99),
        Unit.KG,
        0.5,
    ),
    "Vegetables": (
        [
            "Tomatoes",
            "Carrots",
            "Potatoes",
            "Onions",
            "Broccoli",
            "Courgettes",
            "Peppers",
            "Cucumber",
            "Spinach",
            "Mushrooms",
            "Leeks",
            "Lettuce",
        ],
        (0.39, 4.99),
        Unit.KG,
        0.5,
    ),
    "Dairy": (
        [
            "Whole Milk",
            "Semi-skimmed Milk",
            "Greek Yoghurt",
            "Butter",
            "Cheddar",
            "Gouda",
            "Mozzarella",
            "Cream",
            "Cottage Cheese",
            "Skyr",
            "Kefir",
            "Brie",
        ],
        (0.79, 7.99),
        Unit.HUNDRED_G,
        0.1,
    ),
    "Bakery": (
        [
            "Sourdough Loaf",
            "Baguette",
            "Croissants",
            "Rye Bread",
            "Bagels",
            "Muffins",
            "Cinnamon Rolls",
            "Pita Bread",
            "Wholemeal Loaf",
            "Brioche",
        ],
        (0.59, 5.49),
        None,
        0,
    ),
    "Meat": (
        [
            "Chicken Breast",
            "Beef Mince",
            "Pork Chops",
            "Lamb Shoulder",
            "Sausages",
            "Bacon",
            "Turkey Fillet",
            "Ham",
        ],
        (2.49, 19.99),
        Unit.KG,
        0.4,
    ),
    "Fish": (
        ["Salmon Fillet", "Cod Loin", "Prawns", "Tuna Steak", "Mackerel", "Smoked Salmon"],
        (2.99, 24.99),
        Unit.KG,
        0.4,
    ),
    "Drinks": (
        [
            "Orange Juice",
            "Apple Juice",
            "Sparkling Water",
            "Still Water",
            "Cola",
            "Lemonade",
            "Iced Tea",
            "Coffee Beans",
            "Green Tea",
            "Oat Drink",
        ],
        (0.39, 12.99),
        None,
        0,
    ),
    "Pantry": (
        [
            "Spaghetti",
            "Basmati Rice",
            "Olive Oil",
            "Chopped Tomatoes",
            "Chickpeas",
            "Peanut Butter",
            "Honey",
            "Porridge Oats",
            "Plain Flour",
            "Sugar",
            "Lentils",
            "Pesto",
        ],
        (0.49, 9.99),
        None,
        0,
    ),
    "Snacks": (
        [
            "Crisps",
            "Dark Chocolate",
            "Mixed Nuts",
            "Popcorn",
            "Oat Biscuits",
            "Rice Cakes",
            "Granola Bars",
            "Pretzels",
        ],
        (0.69, 5.99),
        None,
        0,
    ),
    "Frozen": (
        [
            "Garden Peas",
            "Pizza Margherita",
            "Vanilla Ice Cream",
            "Fish Fingers",
            "Frozen Berries",
            "Oven Chips",
        ],
        (0.99, 7.99),
        None,
        0,
    ),
    "Household": (
        ["Washing-up Liquid", "Kitchen Roll", "Bin Bags", "Laundry Detergent", "Sponges", "Foil"],
        (0.99, 14.99),
        None,
        0,
    ),
    "Personal Care": (
        ["Toothpaste", "Shampoo", "Shower Gel", "Hand Soap", "Deodorant", "Cotton Pads"],
        (0.89, 9.99),
        None,
        0,
    ),
}
BRANDS = [
    "Green Valley",
    "Nordic Farm",
    "Sunny Acres",
    "Old Mill",
    "Harbour",
    "Bio Select",
    "Daily Basics",
    "Maison Dupont",
    "Alpine",
    "Riverside",
    "Golden Field",
    "Urban Pantry",
]
# Per category: the words that fit its items (no "free-range deodorant"), and its pack sizes.
STYLES = {
    "Fruit": ["Organic", "Fresh", "Local", "Fairtrade", "Sweet", ""],
    "Vegetables": ["Organic", "Fresh", "Local", "Baby", ""],
    "Dairy": ["Organic", "Light", "Farmhouse", "Mild", "Mature", ""],
    "Bakery": ["Wholegrain", "Stone-baked", "Rustic", "Seeded", "Butter", ""],
    "Meat": ["Free-range", "Organic", "Lean", "Smoked", "Local", ""],
    "Fish": ["Wild", "Smoked", "MSC", "Fresh", ""],
    "Drinks": ["Organic", "Sparkling", "Light", "Premium", "Fairtrade", ""],
    "Pantry": ["Organic", "Wholewheat", "Classic", "Premium", "Fairtrade", ""],
    "Snacks": ["Sea Salt", "Organic", "Classic", "Light", "Fairtrade", ""],
    "Frozen": ["Classic", "Family Pack", "Organic", "Premium", ""],
    "Household": ["Eco", "Lemon", "Sensitive", "Original", ""],
    "Personal Care": ["Sensitive", "Fresh", "Original", "Eco", ""],
}
PACK_SIZES = {
    "Fruit": ["500 g", "1 kg", "6 pack", "4 pack"],
    "Vegetables": ["500 g", "1 kg", "750 g", "2 kg"],
    "Dairy": ["200 g", "400 g", "250 g"],
    "Bakery": ["400 g", "800 g", "4 pack", "6 pack"],
    "Meat": ["300 g", "500 g", "1 kg", "200 g"],
    "Fish": ["200 g", "400 g", "300 g"],
    "Drinks": ["1 l", "1.5 l", "6 × 330 ml", "500 ml"],
    "Pantry": ["500 g", "1 kg", "400 g", "250 g"],
    "Snacks": ["150 g", "100 g", "200 g", "6 pack"],
    "Frozen": ["450 g", "1 kg", "750 g"],
    "Household": ["4 rolls", "20 pack", "6 pack"],
    "Personal Care": ["250 ml", "400 ml"],
}
# Items whose packs differ from their category's.
ITEM_SIZES = {
    "Whole Milk": ["1 l", "2 l"],
    "Semi-skimmed Milk": ["1 l", "2 l"],
    "Cream": ["200 ml", "500 ml"],
    "Kefir": ["500 ml", "1 l"],
    "Greek Yoghurt": ["500 g", "1 kg"],
    "Skyr": ["450 g", "1 kg"],
    "Coffee Beans": ["250 g", "500 g", "1 kg"],
    "Green Tea": ["20 bags", "40 bags"],
    "Olive Oil": ["500 ml", "750 ml", "1 l"],
    "Honey": ["250 g", "450 g"],
    "Vanilla Ice Cream": ["500 ml", "1 l"],
    "Fish Fingers": ["10 pack", "20 pack"],
    "Pizza Margherita": ["350 g", "2 pack"],
    "Oven Chips": ["750 g", "1.5 kg"],
    "Washing-up Liquid": ["500 ml", "1 l"],
    "Laundry Detergent": ["1 l", "2 l"],
    "Foil": ["10 m", "30 m"],
    "Sponges": ["3 pack", "6 pack"],
    "Toothpaste": ["75 ml", "125 ml"],
    "Deodorant": ["150 ml", "250 ml"],
    "Cotton Pads": ["80 pack", "120 pack"],
}


def ean13(body12: str) -> str:
    return body12 + str(gs1_standard_check_digit(body12))


def scale_gtin(reference: int) -> str:
    """A German-rules variable-weight code ("28" + item reference) with the weight zeroed."""
    return "0" + ean13(f"28{reference:04d}000000")


def product_rows(count: int, categories: dict[str, Category]) -> Iterator[Product]:
    rng = random.Random(20261125)  # deterministic: the same shop every time
    names = list(CATALOG)
    scale_refs = 0
    for n in range(count):
        category_name = names[n % len(names)]
        items, (low, high), weighed_unit, weighed_share = CATALOG[category_name]
        item = items[rng.randrange(len(items))]
        brand = BRANDS[rng.randrange(len(BRANDS))]
        styles = STYLES[category_name]
        sizes = ITEM_SIZES.get(item, PACK_SIZES[category_name])
        style = styles[rng.randrange(len(styles))]
        by_weight = weighed_unit is not None and rng.random() < weighed_share
        gtin = None
        if by_weight:
            unit = weighed_unit
            name = " ".join(filter(None, [style, item]))
            if scale_refs < 10_000 and unit == Unit.KG:
                gtin = scale_gtin(scale_refs)
                scale_refs += 1
            stock = Decimal(rng.randrange(5_000, 80_000)) / 1000
        else:
            unit = Unit.EACH
            size = sizes[rng.randrange(len(sizes))]
            name = " ".join(filter(None, [brand, style, item, size]))
            if rng.random() < 0.6:  # most packaged goods carry a manufacturer's EAN-13
                gtin = "0" + ean13(f"87{n:010d}")
            stock = Decimal(
                rng.choice([0, 3, 8]) if rng.random() < 0.05 else rng.randrange(10, 300)
            )
        price = Decimal(str(round(rng.uniform(low, high), 2)))
        yield Product(
            product_id=str(FIRST_PRODUCT_NUMBER + n),
            gtin=gtin,
            name=name,
            description=f"{name} from {brand}. A {category_name.lower()} favourite at our shop.",
            category=categories[category_name],
            price=price,
            unit=unit,
            stock=stock,
            reorder_level=Decimal(10 if unit == Unit.EACH else 5),
        )


def seed_catalog(count: int) -> int:
    """Create the first `count` demo products that do not exist yet; returns how many were new."""
    categories = {}
    for name in CATALOG:
        categories[name], _ = Category.objects.get_or_create(
            slug=name.lower().replace(" ", "-"), defaults={"name": name}
        )
    before = Product.objects.count()
    batch: list[Product] = []
    for product in product_rows(count, categories):
        batch.append(product)
        if len(batch) == BATCH:
            _insert(batch)
            batch = []
    _insert(batch)
    created = Product.objects.count() - before
    if created and connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh bulk-loaded rows: set their hint bits and visibility map and give the planner
        # statistics now, rather than have the first customers' lookups pay for it.
        with connection.cursor() as cursor:
            for model in (Product, StoreProduct, StockMovement):
                table = model._meta.db_table
                cursor.execute(f"VACUUM ANALYZE {table}")
    return created


def _insert(batch: list[Product]) -> None:
    if not batch:
        return
    with transaction.atomic():
        # Existing rows (same product id or GTIN) are left as they are: re-running is safe.
        Product.objects.bulk_create(batch, ignore_conflicts=True)
        # The opening stock is audited like any other change; only new products get a row.
        opening = list(
            Product.objects.filter(
                product_id__in=[p.product_id for p in batch], movements__isnull=True
            ).values_list("pk", "stock")
        )
        home = get_home_store()
        StoreProduct.objects.bulk_create(
            (StoreProduct(store=home, product_id=pk, stock=stock) for pk, stock in opening),
            ignore_conflicts=True,
        )
        StockMovement.objects.bulk_create(
            StockMovement(
                product_id=pk,
                store=home,
                delta=stock,
                resulting_stock=stock,
                reason=StockMovement.Reason.SEED,
                note="demo shop opening stock",
            )
            for pk, stock in opening
        )


STORE_BATCH = 10_000  # store-product rows per insert
PRICE_FACTORS = ("0.90", "0.95", "1.05", "1.10", "1.15")
CENT = Decimal("0.01")


def seed_stores(count: int) -> int:
    """Make the demo a chain of `count` stores: the home store (which seed_catalog stocks) and
    count - 1 more, each listing most of the catalogue with its own stock and, for some products,
    its own price. Stores that exist keep their rows, so re-running is safe. Returns how many
    stores were new."""
    home = get_home_store()
    products = list(Product.objects.order_by("pk").values_list("pk", "price", "unit"))
    new = 0
    for n in range(2, count + 1):
        store, created = Store.objects.get_or_create(
            code=f"demo-{n:03d}",
            defaults={
                "name": f"Demo store {n}",
                "address": f"{n} Market Street",
                "opening_hours": "Mon-Sat 8:00-20:00",
            },
        )
        if created and store.pk != home.pk:
            _stock_store(store, products, random.Random(f"demo-store-{n}"))
            new += 1
    if new:
        # The chain's total per product (Product.stock) is the sum of its stores' rows.
        held = StoreProduct.objects.filter(product=OuterRef("pk")).values("product")
        Product.objects.update(
            stock=Coalesce(Subquery(held.annotate(total=Sum("stock")).values("total")), ZERO)
        )
    return new


def _stock_store(store: Store, products: list[tuple], rng: random.Random) -> None:
    rows = []
    for pk, price, unit in products:
        if rng.random() < 0.05:  # a few products are not sold in this store
            continue
        if unit == Unit.EACH:
            stock = Decimal(rng.randrange(0, 300))
        else:
            stock = Decimal(rng.randrange(0, 60_000)) / 1000
        override = None
        if rng.random() < 0.3:  # city rents, local competition: some prices differ
            override = (price * Decimal(rng.choice(PRICE_FACTORS))).quantize(CENT)
        rows.append(StoreProduct(store=store, product_id=pk, stock=stock, price=override))
        if len(rows) == STORE_BATCH:
            _insert_store_rows(rows)
            rows = []
    _insert_store_rows(rows)


def _insert_store_rows(rows: list[StoreProduct]) -> None:
    with transaction.atomic():
        StoreProduct.objects.bulk_create(rows)
        StockMovement.objects.bulk_create(
            StockMovement(
                product_id=row.product_id,
                store=row.store,
                delta=row.stock,
                resulting_stock=row.stock,
                reason=StockMovement.Reason.SEED,
                note="demo store opening stock",
            )
            for row in rows
        )


CITY_PRICE_LIST = "city"
CITY_ENTRIES = 3000  # a few thousand products priced for the city
CITY_FACTOR = Decimal("1.08")


def seed_price_list() -> tuple[PriceList, int]:
    """The "City stores" price list: the first CITY_ENTRIES products 8 % dearer, followed by every
    other demo store (demo-002, demo-004, ...), written through the services. Re-running changes
    nothing. Returns the list and how many stores follow it."""
    city, _ = PriceList.objects.get_or_create(
        code=CITY_PRICE_LIST, defaults={"name": "City stores"}
    )
    priced = Product.objects.order_by("pk").values_list("product_id", "price")[:CITY_ENTRIES]
    set_price_list_entries(
        price_list=city, prices={pid: round_money(price * CITY_FACTOR) for pid, price in priced}
    )
    stores = [s for s in Store.objects.filter(code__startswith="demo-") if int(s.code[5:]) % 2 == 0]
    assign_price_list(stores=stores, price_list=city)
    return city, len(stores)
