"""VAT laws over random baskets: every promotion kind, deposits, vouchers, three tax classes.

Whatever the basket, its `taxes` add up: Σ gross = total and Σ net + Σ tax = total, to the cent;
and what each line paid (goods and deposit) adds up to the total too, so returning every unit
refunds exactly what was paid. Pure: unsaved products, the real pricing and promotion engine.
"""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.models import Category, Product, Unit
from checkout.pricing import price_lines
from checkout.vouchers import Voucher
from grocery.tax import TaxClass
from tests.promotions.test_engine_laws import CATEGORIES, NOW, PRODUCTS, rule_sets

CLASSES = [TaxClass.STANDARD, TaxClass.REDUCED, TaxClass.ZERO]
CATEGORY_ROWS = {
    slug: Category(name=slug, slug=slug, tax_class=CLASSES[i % 3])
    for i, slug in enumerate(CATEGORIES)
}


@st.composite
def items(draw):
    chosen = draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=8, unique=True))
    basket = []
    for product_id in chosen:
        n = PRODUCTS.index(product_id)
        weighed = draw(st.booleans())
        product = Product(
            product_id=product_id,
            name=product_id.upper(),
            category=CATEGORY_ROWS[CATEGORIES[n % len(CATEGORIES)]],
            price=draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40"), places=2)),
            unit=Unit.KG if weighed else Unit.EACH,
            tax_class=draw(st.sampled_from(["", *CLASSES])),
            deposit=Decimal(0)
            if weighed
            else draw(
                st.sampled_from([Decimal(0), Decimal("0.08"), Decimal("0.25"), Decimal("3.30")])
            ),
            deposit_tax_class=draw(st.sampled_from(CLASSES)),
        )
        quantity = (
            draw(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("3"), places=3))
            if weighed
            else Decimal(draw(st.integers(1, 7)))
        )
        basket.append((product, quantity))
    return basket


vouchers = st.lists(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("30"), places=2), max_size=3
).map(lambda amounts: [Voucher(code=f"29010000{i:04d}0", amount=a) for i, a in enumerate(amounts)])


@settings(deadline=None, max_examples=300)
@given(items(), rule_sets, vouchers)
def test_taxes_add_up_to_the_total(basket, promos, spent):
    quote = price_lines(basket, vouchers=spent, at=NOW, rules=promos)
    assert quote.total >= 0
    assert sum(t.gross for t in quote.taxes) == quote.total
    assert sum(t.net for t in quote.taxes) + sum(t.tax for t in quote.taxes) == quote.total
    assert quote.tax == sum(t.tax for t in quote.taxes)
    assert len({t.rate for t in quote.taxes}) == len(quote.taxes)  # one entry per rate
    for entry in quote.taxes:
        assert entry.tax == entry.tax.quantize(Decimal("0.01"))
        assert abs(entry.tax) <= abs(entry.gross)
    # What each line paid is the total, line by line: returns refund exactly that.
    assert sum(line.paid + line.deposit_paid for line in quote.lines) == quote.total
    for line in quote.lines:
        assert 0 <= line.paid <= line.total
        assert 0 <= line.deposit_paid <= line.deposit
        assert line.deposit == line.deposit_unit * line.quantity  # never discounted
    assert quote.voucher_total <= sum(v.amount for v in spent)
    assert quote.total == (
        quote.subtotal - quote.discount_total + quote.deposit_total - quote.voucher_total
    )
