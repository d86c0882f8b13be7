"""Receipts priced by hand: what a customer sees for each unit kind, each promotion kind, each VAT
rate, a deposit, vouchers worth less and more than the basket, and returns of part of a line.

Every figure below was worked out on paper (the comment on each row shows the sum), never by running
the code: a change to the pricing code that moves any cent on any row fails here. The checkout goes
through the API with the simulated gateway, so the receipt is the one the customer is handed.

VAT (prices include it): a rate's tax is gross × rate / (100 + rate), rounded half up once per rate
on the sum of that rate's amounts (never per line); net = gross - tax. The shop sells no goods priced
per litre: drinks are sold each (Milk 1 l, Water 1.5 l), so "each" covers them.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from catalog.models import Unit
from checkout.models import Order
from checkout.services.refunds import refund_order
from tests.factories import make_category, make_product, make_promotion, make_voucher_code

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
    "water": ("Water 1.5 l", "0.49", Unit.EACH, "drinks"),
    "stamp": ("Stamp", "0.95", Unit.EACH, "post"),
}
# Food at the reduced rate (7 %), drinks at the standard rate (19 %), stamps at the zero rate.
TAX_CLASS = {
    "dairy": "reduced",
    "deli": "reduced",
    "fruit": "reduced",
    "bakery": "reduced",
    "drinks": "standard",
    "post": "zero",
}
# A deposit per bottle, taxed at the standard rate (the product's default deposit tax class).
DEPOSIT = {"water": "0.25"}


@dataclass(frozen=True)
class Row:
    """One basket: its promotions, what is scanned, and the receipt's lines and totals.

    `lines` are (name, quantity, before discount, discount, line total) in cart order; `taxes`
    (rate, net, tax, gross) highest rate first; `deposits` (name, quantity, total); `vouchers` the
    (worth, applied) of each voucher scanned, in scan order."""

    name: str
    cart: list[tuple[str, str]]
    lines: list[tuple[str, str, str, str, str]]
    subtotal: str
    discount_total: str
    total: str
    taxes: list[tuple[str, str, str, str]]
    promotions: list[dict] = field(default_factory=list)
    deposits: list[tuple[str, str, str]] = field(default_factory=list)
    deposit_total: str = "0.00"
    vouchers: list[tuple[str, str]] = field(default_factory=list)
    voucher_total: str = "0.00"


ROWS = [
    Row(
        "each: 3 × 1.19",
        cart=[("milk", "3")],
        lines=[("Milk 1 l", "3", "3.57", "0.00", "3.57")],
        subtotal="3.57",
        discount_total="0.00",
        total="3.57",
        # 7 %: 3.57 × 7 / 107 = 0.2336 -> 0.23
        taxes=[("7", "3.34", "0.23", "3.57")],
    ),
    Row(
        "per kg: 0.347 kg × 12.90 = 4.4763, rounded once",
        cart=[("gouda", "0.347")],
        lines=[("Gouda", "0.347", "4.48", "0.00", "4.48")],
        subtotal="4.48",
        discount_total="0.00",
        total="4.48",
        # 7 %: 4.48 × 7 / 107 = 0.2931 -> 0.29
        taxes=[("7", "4.19", "0.29", "4.48")],
    ),
    Row(
        "per 100 g: 0.25 kg at 1.89 per 100 g = 18.90 × 0.25 = 4.725, half a cent rounds up",
        cart=[("ham", "0.25")],
        lines=[("Ham", "0.25", "4.73", "0.00", "4.73")],
        subtotal="4.73",
        discount_total="0.00",
        total="4.73",
        # 7 %: 4.73 × 7 / 107 = 0.3094 -> 0.31
        taxes=[("7", "4.42", "0.31", "4.73")],
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
        # 7 %: 3.32 × 7 / 107 = 0.2172 -> 0.22
        taxes=[("7", "3.10", "0.22", "3.32")],
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
        # 7 %: 8.17 × 7 / 107 = 0.5345 -> 0.53
        taxes=[("7", "7.64", "0.53", "8.17")],
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
        # 7 %: 5.97 × 7 / 107 = 0.3906 -> 0.39
        taxes=[("7", "5.58", "0.39", "5.97")],
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
        # 7 %: 2.50 × 7 / 107 = 0.1636 -> 0.16
        taxes=[("7", "2.34", "0.16", "2.50")],
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
        # 7 %: 9.96 × 7 / 107 = 0.6516 -> 0.65
        taxes=[("7", "9.31", "0.65", "9.96")],
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
        # 7 %: 5.19 × 7 / 107 = 0.3395 -> 0.34
        taxes=[("7", "4.85", "0.34", "5.19")],
    ),
    Row(
        "5.00 off a spend of 50.00, reached exactly: 5 × 10.00 wine",
        promotions=[{"kind": "threshold", "amount": "5.00", "threshold": "50.00"}],
        cart=[("wine", "5")],
        lines=[("Wine", "5", "50.00", "5.00", "45.00")],
        subtotal="50.00",
        discount_total="5.00",
        total="45.00",
        # 19 %: 45.00 × 19 / 119 = 7.1849 -> 7.18
        taxes=[("19", "37.82", "7.18", "45.00")],
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
        # 19 %: 40.00 × 19 / 119 = 6.3866 -> 6.39; 7 %: 10.26 × 7 / 107 = 0.6712 -> 0.67
        taxes=[("19", "33.61", "6.39", "40.00"), ("7", "9.59", "0.67", "10.26")],
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
        # 19 %: 36.19 × 19 / 119 = 5.7782 -> 5.78; 7 %: 11.26 × 7 / 107 = 0.7366 -> 0.74
        taxes=[("19", "30.41", "5.78", "36.19"), ("7", "10.52", "0.74", "11.26")],
    ),
    Row(
        "one of each VAT rate, rounded once per rate: 19 % on wine 10.00 + water 0.98 + its "
        "deposit 0.50 = 11.48 × 19 / 119 = 1.8329 -> 1.83 (line by line it would be "
        "1.60 + 0.16 + 0.08 = 1.84); 7 % on bread 2.49 × 7 / 107 = 0.1629 -> 0.16; 0 % on "
        "2 stamps 1.90. Total 10.00 + 0.98 + 2.49 + 1.90 + deposit 2 × 0.25 = 15.87",
        cart=[("wine", "1"), ("water", "2"), ("bread", "1"), ("stamp", "2")],
        lines=[
            ("Wine", "1", "10.00", "0.00", "10.00"),
            ("Water 1.5 l", "2", "0.98", "0.00", "0.98"),
            ("Bread", "1", "2.49", "0.00", "2.49"),
            ("Stamp", "2", "1.90", "0.00", "1.90"),
        ],
        subtotal="15.37",
        discount_total="0.00",
        total="15.87",
        taxes=[
            ("19", "9.65", "1.83", "11.48"),
            ("7", "2.33", "0.16", "2.49"),
            ("0", "1.90", "0.00", "1.90"),
        ],
        deposits=[("Deposit: Water 1.5 l", "2", "0.50")],
        deposit_total="0.50",
    ),
    Row(
        "a deposit is never discounted: half price on water, 6 × 0.49 = 2.94, 50 % = 1.47 off; "
        "the deposit 6 × 0.25 = 1.50 stays whole; total 1.47 + 1.50 = 2.97; 19 % on 2.97 = "
        "0.4742 -> 0.47",
        promotions=[{"kind": "percentage", "percent": "50", "products": ["water"]}],
        cart=[("water", "6")],
        lines=[("Water 1.5 l", "6", "2.94", "1.47", "1.47")],
        subtotal="2.94",
        discount_total="1.47",
        total="2.97",
        taxes=[("19", "2.50", "0.47", "2.97")],
        deposits=[("Deposit: Water 1.5 l", "6", "1.50")],
        deposit_total="1.50",
    ),
    Row(
        "a 1.50 voucher worth less than the basket, spread by cents over water 196, its deposit "
        "100 and bread 498 (794 in all) before VAT: 150 × 196/794 = 37.03, × 100/794 = 18.89, "
        "× 498/794 = 94.08; floors 37 + 18 + 94 = 149, the last cent to the largest remainder "
        "(the deposit's .89): 37, 19, 94. Paid: 19 % 1.59 + 0.81 = 2.40 × 19 / 119 = 0.3832 "
        "-> 0.38; 7 % 4.04 × 7 / 107 = 0.2643 -> 0.26. Total 7.94 - 1.50 = 6.44",
        cart=[("water", "4"), ("bread", "2")],
        vouchers=[("1.50", "1.50")],
        lines=[
            ("Water 1.5 l", "4", "1.96", "0.00", "1.96"),
            ("Bread", "2", "4.98", "0.00", "4.98"),
        ],
        subtotal="6.94",
        discount_total="0.00",
        total="6.44",
        taxes=[("19", "2.02", "0.38", "2.40"), ("7", "3.78", "0.26", "4.04")],
        deposits=[("Deposit: Water 1.5 l", "4", "1.00")],
        deposit_total="1.00",
        voucher_total="1.50",
    ),
]


def stock_shelf() -> None:
    for product_id, (name, price, unit, category) in SHELF.items():
        make_product(
            product_id=product_id,
            name=name,
            price=Decimal(price),
            unit=unit,
            category=make_category(category.title(), tax_class=TAX_CLASS[category]),
            deposit=Decimal(DEPOSIT.get(product_id, "0.00")),
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
        "vouchers": voucher_codes(row),
    }
    response = api_client.post("/api/checkout", body, format="json")
    assert response.status_code in (200, 201), response.json()
    return response.json()


def voucher_codes(row: Row) -> list[str]:
    return [
        make_voucher_code(worth, serial=serial)
        for serial, (worth, _) in enumerate(row.vouchers, start=1)
    ]


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


def taxes(entries: list[dict]) -> list[tuple[str, str, str, str]]:
    return [
        (f"{entry['rate']:g}", money(entry["net"]), money(entry["tax"]), money(entry["gross"]))
        for entry in entries
    ]


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
        money(receipt["deposit_total"]),
        money(receipt["voucher_total"]),
        money(receipt["total"]),
    ) == (row.subtotal, row.discount_total, row.deposit_total, row.voucher_total, row.total)
    assert taxes(receipt["taxes"]) == row.taxes
    tax_total = sum((Decimal(tax) for _, _, tax, _ in row.taxes), Decimal("0.00"))
    assert money(receipt["tax"]) == f"{tax_total:.2f}"
    assert [
        (d["name"], f"{Decimal(str(d['quantity'])).normalize():f}", money(d["total"]))
        for d in receipt["deposits"]
    ] == row.deposits
    assert [(v["code"], money(v["amount"]), money(v["applied"])) for v in receipt["vouchers"]] == [
        (code, worth, applied)
        for code, (worth, applied) in zip(voucher_codes(row), row.vouchers, strict=True)
    ]
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
        Row(
            "bread",
            [("bread", "3")],
            [],
            subtotal="7.47",
            discount_total="0",
            total="7.47",
            taxes=[],
        ),
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


def test_vouchers_worth_more_than_the_basket_leave_nothing_to_pay(api_client):
    """Bread 2.49 + roll 0.30 = 2.79; the first voucher takes 2.00 of its 2.00, the second only
    the 0.79 left of its 1.00: nothing to pay and no VAT, and nothing to check out either (the
    customer keeps the vouchers for a bigger basket)."""
    stock_shelf()
    codes = [make_voucher_code("2.00", serial=1), make_voucher_code("1.00", serial=2)]
    cart = [{"product_id": "bread", "quantity": 1}, {"product_id": "roll", "quantity": 1}]
    quote = api_client.post(
        "/api/checkout/quote", {"cart": cart, "vouchers": codes}, format="json"
    ).json()
    assert [(v["code"], money(v["amount"]), money(v["applied"])) for v in quote["vouchers"]] == [
        (codes[0], "2.00", "2.00"),
        (codes[1], "1.00", "0.79"),
    ]
    assert (money(quote["subtotal"]), money(quote["voucher_total"]), money(quote["total"])) == (
        "2.79",
        "2.79",
        "0.00",
    )
    assert (quote["taxes"], money(quote["tax"])) == ([], "0.00")
    body = {"cart": cart, "payment_method": "credit_card", "total_amount": 0, "vouchers": codes}
    refused = api_client.post("/api/checkout", body, format="json")
    assert (refused.status_code, refused.json()["code"]) == (422, "nothing_to_pay")
    assert not Order.objects.exists()


def test_returns_of_part_of_a_line_give_back_what_was_paid(api_client, manager):
    """3 loaves at 3 for 2 (2 × 2.49 = 4.98 paid for 3), 3 waters 1.47 + deposit 0.75, Gouda
    0.347 kg = 4.48: 4.98 + 1.47 + 0.75 + 4.48 = 11.68 paid. A return gives back each unit's
    share of what its line paid: share(k) = paid × k / bought rounded, a return = share(after) -
    share(before), so all returns of a line add up to exactly what it paid."""
    from rest_framework.test import APIClient

    stock_shelf()
    run_promotion(
        {"kind": "multibuy", "bundle_quantity": 3, "pay_quantity": 2, "products": ["bread"]}
    )
    row = Row(
        "basket",
        [("bread", "3"), ("water", "3"), ("gouda", "0.347")],
        [],
        subtotal="13.42",
        discount_total="2.49",
        total="11.68",
        taxes=[],
    )
    order = Order.objects.get(transaction_id=checkout(api_client, row)["transaction_id"])
    ids = {line.product_code: line.pk for line in order.lines.all()}
    clerk = APIClient()
    clerk.force_authenticate(manager)

    def give_back(quantities):
        response = clerk.post(
            f"/api/receipts/{order.transaction_id}/returns",
            {
                "lines": [
                    {"line_id": ids[pid], "quantity": qty, "restock": True}
                    for pid, qty in quantities
                ],
                "reason": "customer changed mind",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        return response.json()

    # 1 loaf: 4.98 × 1/3 = 1.66; 2 waters: 1.47 × 2/3 = 0.98, deposit 0.75 × 2/3 = 0.50;
    # 0.100 kg Gouda: 4.48 × 0.1/0.347 = 1.2911 -> 1.29. 1.66 + 0.98 + 0.50 + 1.29 = 4.43.
    # 19 %: 0.98 + 0.50 = 1.48 × 19/119 = 0.2363 -> 0.24; 7 %: 1.66 + 1.29 = 2.95 × 7/107 =
    # 0.1930 -> 0.19
    first = give_back([("bread", 1), ("water", 2), ("gouda", 0.1)])
    back = first["return"]
    assert [(money(line["amount"]), money(line["deposit"])) for line in back["lines"]] == [
        ("1.66", "0.00"),
        ("0.98", "0.50"),
        ("1.29", "0.00"),
    ]
    assert money(back["amount"]) == "4.43"
    assert taxes(back["taxes"]) == [("19", "1.24", "0.24", "1.48"), ("7", "2.76", "0.19", "2.95")]
    receipt = first["receipt"]
    assert (money(receipt["refunded_amount"]), receipt["status"]) == ("4.43", "success")
    # The rest: 2 loaves 4.98 - 1.66 = 3.32; 1 water 1.47 - 0.98 = 0.49, deposit 0.75 - 0.50 =
    # 0.25; 0.247 kg Gouda 4.48 - 1.29 = 3.19. 3.32 + 0.49 + 0.25 + 3.19 = 7.25 = 11.68 - 4.43.
    # 19 %: 0.74 × 19/119 = 0.1182 -> 0.12; 7 %: 6.51 × 7/107 = 0.4259 -> 0.43
    second = give_back([("bread", 2), ("water", 1), ("gouda", 0.247)])
    back = second["return"]
    assert [(money(line["amount"]), money(line["deposit"])) for line in back["lines"]] == [
        ("3.32", "0.00"),
        ("0.49", "0.25"),
        ("3.19", "0.00"),
    ]
    assert money(back["amount"]) == "7.25"
    assert taxes(back["taxes"]) == [("19", "0.62", "0.12", "0.74"), ("7", "6.08", "0.43", "6.51")]
    receipt = second["receipt"]
    assert (money(receipt["refunded_amount"]), receipt["status"]) == ("11.68", "refunded")
