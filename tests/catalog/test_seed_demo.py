"""manage.py seed_demo: a realistic catalog, the same every time, safe to run twice."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.demo import CATALOG
from catalog.gtin import normalize_gtin
from catalog.models import Category, Product, StockMovement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings):
    settings.DEBUG = True  # as `make run` serves the demo; with DEBUG off there is no demo login


FIELDS = ("product_id", "gtin", "name", "description", "category__slug", "price", "unit", "stock")


def seed(products: int) -> str:
    out = StringIO()
    call_command("seed_demo", products=products, orders=0, stdout=out)  # the catalog alone
    return out.getvalue()


def snapshot() -> list[tuple]:
    return list(Product.objects.order_by("product_id").values_list(*FIELDS))


def test_seed_creates_the_catalog_and_a_manager_login():
    output = seed(120)
    assert "Products: 120 created" in output
    assert "user: manager  password: scan-and-go" in output
    assert Product.objects.count() == 120
    assert Category.objects.count() == len(CATALOG)
    assert Product.objects.values("category").distinct().count() == len(CATALOG)
    manager = get_user_model().objects.get(username="manager")
    assert manager.is_staff and manager.check_password("scan-and-go")
    gtins = list(Product.objects.exclude(gtin=None).values_list("gtin", flat=True))
    assert len(gtins) > 30
    assert all(normalize_gtin(g) == g for g in gtins)  # valid check digits, 14 digits
    assert Product.objects.filter(unit="kg").exists() and Product.objects.filter(unit="each")
    assert not Product.objects.filter(stock__lt=0).exists()


def test_seed_is_idempotent():
    seed(80)
    first = snapshot()
    output = seed(80)
    assert "Products: 0 created" in output
    assert snapshot() == first
    assert get_user_model().objects.filter(username="manager").count() == 1


def test_seed_is_deterministic_and_grows_without_touching_existing_rows():
    seed(50)
    first = snapshot()
    Product.objects.all().delete()
    seed(50)
    assert snapshot() == first
    seed(70)
    assert snapshot()[:50] == first and Product.objects.count() == 70


def test_seed_keeps_a_changed_manager_password_and_does_not_print_it():
    seed(1)
    manager = get_user_model().objects.get(username="manager")
    manager.set_password("changed-by-the-shop")
    manager.save()
    assert "(changed since the demo was loaded)" in seed(1)


@pytest.mark.parametrize("count", [0, 1_000_001])
def test_seed_refuses_out_of_range_counts(count):
    with pytest.raises(CommandError):
        seed(count)


def test_opening_stock_is_audited_once():
    seed(40)
    seed(40)
    movements = StockMovement.objects.filter(reason=StockMovement.Reason.SEED)
    assert movements.count() == 40
    assert all(m.delta == m.resulting_stock == m.product.stock for m in movements)


def test_stores_make_a_chain_with_its_own_prices_and_stock_and_rerun_safely():
    from django.db.models import Sum

    from catalog.models import Store, StoreProduct

    out = StringIO()
    call_command("seed_demo", products=200, stores=3, orders=0, stdout=out)
    assert "Stores: 2 created, 3 in the demo chain." in out.getvalue()
    assert Store.objects.count() == 3
    for store in Store.objects.exclude(code__startswith="demo-"):  # the home store lists all
        assert StoreProduct.objects.filter(store=store).count() == 200
    city = Store.objects.get(code="demo-002")
    rows = StoreProduct.objects.filter(store=city)
    assert 150 < rows.count() < 200  # most of the catalogue
    assert rows.exclude(price=None).exists() and rows.filter(price=None).exists()
    totals = dict(
        StoreProduct.objects.values("product").annotate(t=Sum("stock")).values_list("product", "t")
    )
    assert totals == dict(Product.objects.values_list("pk", "stock"))  # the chain's total
    before = StoreProduct.objects.count()
    call_command("seed_demo", products=200, stores=3, orders=0, stdout=StringIO())
    assert StoreProduct.objects.count() == before


def test_one_store_is_todays_demo(settings):
    from catalog.models import Store, StoreProduct

    seed(50)
    assert Store.objects.count() == 1
    assert StoreProduct.objects.count() == 50
    with pytest.raises(CommandError):
        call_command("seed_demo", products=1, stores=0, stdout=StringIO())
