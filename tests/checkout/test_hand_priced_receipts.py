"""Receipts priced by hand: what a customer sees for each unit kind and each promotion kind.

Every figure below was worked out on paper (the comment on each row shows the sum), never by running
the code: a change to the pricing code that moves any cent on any row fails here. The checkout goes
through the API with the simulated gateway, so the receipt is the one the customer is handed.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from catalog.models import Unit
from checkout.models import Order
from checkout.services.refunds import refund_order
from tests.factories import make_category, make_product, make_promotion

pytestmark = pytest.mark.django_db

# The shelf: (name, price, unit, category).
SHELF = {
    "milk": ("Milk 1 l", "1.19", Unit.EACH, "dairy"),
    "gouda": ("Gouda", "12.90", Unit.KG, "dairy"),
    "ham": ("Ham", "1.89", Unit.HUNDRED_G, "deli"),
    "apple": ("Apple", "0.50", Unit.EACH, "fruit"),
    "bread": ("Bread", "2.49", Unit.EACH, "bakery"),
    "roll": ("Roll", "0.30", Unit.EACH, "bakery"),
    "wine": ("Wine", "10.00", Unit.EACH, "drinks"),
}


@dataclass(frozen=True)
class Row:
    """One basket: its promotions, what is scanned, and the receipt's lines and totals.

    `lines` are (name, quantity, before discount, discount, line total) in cart order."""

    name: str
    cart: list[tuple[str, str]]
    lines: list[tuple[str, str, str, str, str]]
    subtotal: str
    discount_total: str
    total: str
    promotions: list[dict] = field(default_factory=list)


ROWS = [
    Row(
        "each: 3 × 1.19",
        cart=[("milk", "3")],
        lines=[("Milk 1 l", "3", "3.57", "0.00", "3.57")],
        subtotal="3.57",
        discount_total="0.00",
        total="3.57",
    ),
    Row(
        "per kg: 0.347 kg × 12.90 = 4.4763, rounded once",
        cart=[("gouda", "0.347")],
        lines=[("Gouda", "0.347", "4.48", "0.00", "4.48")],
        subtotal="4.48",
        discount_total="0.00",
        total="4.48",
    ),
    Row(
        "per 100 g: 0.25 kg at 1.89 per 100 g = 18.90 × 0.25 = 4.725, half a cent rounds up",
        cart=[("ham", "0.25")],
        lines=[("Ham", "0.25", "4.73", "0.00", "4.73")],
        subtotal="4.73",
        discount_total="0.00",
        total="4.73",
    ),
    Row(
        "per 100 g: 0.123 kg = 18.90 × 0.123 = 2.3247, rounds down; two lines add up",
        cart=[("ham", "0.123"), ("apple", "2")],
        lines=[
            ("Ham", "0.123", "2.32", "0.00", "2.32"),
            ("Apple", "2", "1.00", "0.00", "1.00"),
        ],
        subtotal="3.32",
        discount_total="0.00",
        total="3.32",
    ),
    Row(
        "10 % off dairy, weighed line included: 10 % of (2.38 + 4.48) = 0.686 -> 0.69, shared "
        "by value: milk 0.238 -> 0.24, gouda 0.448 -> 0.45",
        promotions=[{"kind": "percentage", "percent": "10", "categories": ["dairy"]}],
        cart=[("milk", "2"), ("gouda", "0.347"), ("apple", "4")],
        lines=[
            ("Milk 1 l", "2", "2.38", "0.24", "2.14"),
            ("Gouda", "0.347", "4.48", "0.45", "4.03"),
            ("Apple", "4", "2.00", "0.00", "2.00"),
        ],
        subtotal="8.86",
        discount_total="0.69",
        total="8.17",
    ),
    Row(
        "0.50 off each bakery item, never more than the item: bread 3 × 0.50, roll 2 × 0.30",
        promotions=[{"kind": "fixed_off", "amount": "0.50", "categories": ["bakery"]}],
        cart=[("bread", "3"), ("roll", "2")],
        lines=[
            ("Bread", "3", "7.47", "1.50", "5.97"),
            ("Roll", "2", "0.60", "0.60", "0.00"),
        ],
        subtotal="8.07",
        discount_total="2.10",
        total="5.97",
    ),
    Row(
        "buy 2 get 1 free on apples: 7 apples make 2 groups of 3, 2 × 0.50 free",
        promotions=[
            {"kind": "buy_x_get_y", "buy_quantity": 2, "free_quantity": 1, "products": ["apple"]}
        ],
        cart=[("apple", "7")],
        lines=[("Apple", "7", "3.50", "1.00", "2.50")],
        subtotal="3.50",
        discount_total="1.00",
        total="2.50",
    ),
    Row(
        "3 for 2 on bakery: 4 bread + 2 rolls = 2 bundles, the 2 cheapest units (rolls) free",
        promotions=[
            {"kind": "multibuy", "bundle_quantity": 3, "pay_quantity": 2, "categories": ["bakery"]}
        ],
        cart=[("bread", "4"), ("roll", "2")],
        lines=[
            ("Bread", "4", "9.96", "0.00", "9.96"),
            ("Roll", "2", "0.60", "0.60", "0.00"),
        ],
        subtotal="10.56",
        discount_total="0.60",
        total="9.96",
    ),
    Row(
        "2 milk for 2.00: 5 milk = 2 bundles saving 0.38 each, the fifth at full price",
        promotions=[
            {
                "kind": "multibuy",
                "bundle_quantity": 2,
                "bundle_price": "2.00",
                "products": ["milk"],
            }
        ],
        cart=[("milk", "5")],
        lines=[("Milk 1 l", "5", "5.95", "0.76", "5.19")],
        subtotal="5.95",
        discount_total="0.76",
        total="5.19",
    ),
    Row(
        "5.00 off a spend of 50.00, reached exactly: 5 × 10.00 wine",
        promotions=[{"kind": "threshold", "amount": "5.00", "threshold": "50.00"}],
        cart=[("wine", "5")],
        lines=[("Wine", "5", "50.00", "5.00", "45.00")],
        subtotal="50.00",
        discount_total="5.00",
        total="45.00",
    ),
    Row(
        "5.00 off a spend of 50.27, missed by a cent: 40.00 + 9.96 + 0.30 = 50.26",
        promotions=[{"kind": "threshold", "amount": "5.00", "threshold": "50.27"}],
        cart=[("wine", "4"), ("bread", "4"), ("roll", "1")],
        lines=[
            ("Wine", "4", "40.00", "0.00", "40.00"),
            ("Bread", "4", "9.96", "0.00", "9.96"),
            ("Roll", "1", "0.30", "0.00", "0.30"),
        ],
        subtotal="50.26",
        discount_total="0.00",
        total="50.26",
    ),
    Row(
        "5.00 off a 50.00 spend shared by value over wine 40.00 and bread 12.45: "
        "5 × 40/52.45 = 3.8132 -> 3.81, 5 × 12.45/52.45 = 1.1868 -> 1.19",
        promotions=[{"kind": "threshold", "amount": "5.00", "threshold": "50.00"}],
        cart=[("wine", "4"), ("bread", "5")],
        lines=[
            ("Wine", "4", "40.00", "3.81", "36.19"),
            ("Bread", "5", "12.45", "1.19", "11.26"),
        ],
        subtotal="52.45",
        discount_total="5.00",
        total="47.45",
    ),
]


def stock_shelf() -> None:
    for product_id, (name, price, unit, category) in SHELF.items():
        make_product(
            product_id=product_id,
            name=name,
            price=Decimal(price),
            unit=unit,
            category=make_category(category.title()),
            stock=Decimal(100),
        )


def run_promotion(spec: dict) -> None:
    from catalog.models import Category, Product

    spec = {"percent": None, **spec}  # the factory's default kind is a percentage
    products = Product.objects.filter(product_id__in=spec.pop("products", []))
    categories = Category.objects.filter(slug__in=spec.pop("categories", []))
    for money_field in ("percent", "amount", "threshold", "bundle_price"):
        if spec.get(money_field) is not None:
            spec[money_field] = Decimal(spec[money_field])
    make_promotion(name=spec["kind"], products=list(products), categories=list(categories), **spec)


def checkout(api_client, row: Row) -> dict:
    body = {
        "customer_id": "789",
        "cart": [{"product_id": pid, "quantity": float(qty)} for pid, qty in row.cart],
        "payment_method": "credit_card",
        "total_amount": float(row.total),
    }
    response = api_client.post("/api/checkout", body, format="json")
    assert response.status_code in (200, 201), response.json()
    return response.json()


def receipt_lines(receipt: dict) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            line["name"],
            f"{Decimal(str(line['quantity'])).normalize():f}",
            f"{Decimal(str(line['line_total'])):.2f}",
            f"{Decimal(str(line['discount'])):.2f}",
            f"{Decimal(str(line['total'])):.2f}",
        )
        for line in receipt["lines"]
    ]


def money(value) -> str:
    return f"{Decimal(str(value)):.2f}"


@pytest.mark.parametrize("row", ROWS, ids=[row.name.split(":")[0] for row in ROWS])
def test_the_receipt_a_customer_is_handed(api_client, row):
    stock_shelf()
    for spec in row.promotions:
        run_promotion(spec)
    receipt = checkout(api_client, row)["receipt"]
    assert receipt_lines(receipt) == row.lines
    assert (
        money(receipt["subtotal"]),
        money(receipt["discount_total"]),
        money(receipt["total"]),
    ) == (row.subtotal, row.discount_total, row.total)
    # The SPEC's items: name, quantity and the shelf price of one unit (per its price unit).
    assert [(item["name"], money(item["price"])) for item in receipt["items"]] == [
        (SHELF[pid][0], SHELF[pid][1]) for pid, _ in row.cart
    ]


def test_a_total_amount_a_cent_off_is_refused(api_client):
    stock_shelf()
    row = ROWS[4]  # 10 % off dairy: 8.17
    for spec in row.promotions:
        run_promotion(spec)
    for wrong in ("8.16", "8.18"):
        body = {
            "cart": [{"product_id": pid, "quantity": float(qty)} for pid, qty in row.cart],
            "payment_method": "credit_card",
            "total_amount": float(wrong),
        }
        response = api_client.post("/api/checkout", body, format="json")
        assert response.status_code == 409, wrong
    assert not Order.objects.exists()


def test_a_partial_refund_on_the_receipt(api_client):
    """Bread 3 × 2.49 = 7.47 paid; 2.49 refunded for one loaf leaves 4.98 refundable; then a
    refund of 4.99 is refused and 4.98 closes the order as refunded."""
    stock_shelf()
    paid = checkout(
        api_client,
        Row("bread", [("bread", "3")], [], subtotal="7.47", discount_total="0", total="7.47"),
    )
    order = Order.objects.get(transaction_id=paid["transaction_id"])
    refund_order(order=order, amount=Decimal("2.49"), reason="one loaf stale")
    receipt = api_client.get(f"/api/receipts/{order.transaction_id}").json()
    assert (money(receipt["total"]), money(receipt["refunded_amount"])) == ("7.47", "2.49")
    assert receipt["status"] == "success"  # still paid, in part given back
    order.refresh_from_db()
    assert order.refundable_amount == Decimal("4.98")
    from checkout.errors import RefundNotAllowed

    with pytest.raises(RefundNotAllowed):
        refund_order(order=order, amount=Decimal("4.99"))
    refund_order(order=order, amount=Decimal("4.98"))
    receipt = api_client.get(f"/api/receipts/{order.transaction_id}").json()
    assert (money(receipt["refunded_amount"]), receipt["status"]) == ("7.47", "refunded")
