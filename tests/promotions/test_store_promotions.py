"""Promotions per store: one runs in every store, or in the stores chosen for it. Every read names
its store (the request's, or the cart's), and the active-promotions limit holds in each store. A
shop of one store never chooses, and sees no difference."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Store, StoreProduct, get_home_store
from catalog.selectors import get_product_json
from catalog.services import set_stock
from checkout.models import Order
from promotions.errors import TooManyActivePromotions
from promotions.models import Promotion
from promotions.services import save_promotion
from tests.factories import make_promotion
from tests.fixtures.checkout import snapshot, spec_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_random_audits")]

DAY = timedelta(days=1)


@pytest.fixture
def city(shop):
    """A second store selling both of the shop's products as the home store does: the same
    prices and stock, so a product's response is the same bytes in both."""
    store = Store.objects.create(code="city", name="City Store")
    for product, stock in ((shop["apple"], 120), (shop["banana"], 50)):
        StoreProduct.objects.create(store=store, product=product)
        set_stock(product=product, stock=Decimal(stock), store=store)
    return store


@pytest.fixture
def apple_deal(shop, city):
    """20 % off the apple, in the city store only."""
    return make_promotion(
        code="city-apples",
        name="City apples",
        percent=Decimal(20),
        products=[shop["apple"]],
        stores=[city],
    )


def client_in(store: str | None) -> APIClient:
    client = APIClient()
    if store:
        client.credentials(HTTP_X_STORE=store)
    return client


def shown_on_apple(client: APIClient) -> list[str]:
    return [p["id"] for p in client.get("/api/products/12345").json()["promotions"]]


def test_a_store_only_promotion_shows_in_its_store_and_nowhere_else(apple_deal):
    city, home = client_in("city"), client_in(None)
    assert get_product_json("12345", store="city") == get_product_json("12345")
    assert shown_on_apple(city) == ["city-apples"]
    assert shown_on_apple(home) == []
    assert shown_on_apple(client_in(get_home_store().code)) == []
    # Again, from the memo of spliced bodies: the same bytes in two stores are told apart.
    assert (shown_on_apple(city), shown_on_apple(home)) == (["city-apples"], [])
    assert [p["id"] for p in city.get("/api/scan/12345").json()["product"]["promotions"]] == [
        "city-apples"
    ]
    assert home.get("/api/scan/12345").json()["product"]["promotions"] == []

    listed = {s: client_in(s).get("/api/promotions").json()["promotions"] for s in ("city", None)}
    assert [p["id"] for p in listed["city"]] == ["city-apples"]
    assert listed[None] == []

    detail = city.get("/api/promotions/city-apples")
    assert detail.status_code == 200 and detail.json()["status"] == "active"
    assert [p["product_id"] for p in detail.json()["products"]["results"]] == ["12345"]
    elsewhere = home.get("/api/promotions/city-apples")
    assert elsewhere.status_code == 404
    assert elsewhere.json()["code"] == "promotion_not_in_store"
    assert elsewhere.json()["detail"] == {"id": "city-apples", "store": get_home_store().code}
    assert client_in("nowhere").get("/api/promotions").json()["code"] == "unknown_store"


def test_a_store_only_promotion_prices_the_quote_and_the_checkout_in_its_store_only(apple_deal):
    basket = {"cart": [{"product_id": "12345", "quantity": 2}]}
    city_quote = client_in("city").post("/api/checkout/quote", basket, format="json").json()
    home_quote = client_in(None).post("/api/checkout/quote", basket, format="json").json()
    assert (city_quote["discount_total"], city_quote["total"]) == (0.8, 3.18)
    assert (home_quote["discount_total"], home_quote["total"]) == (0, 3.98)

    # The city's checkout charges its discounted total; the home store's the full price.
    paid = client_in("city").post(
        "/api/checkout", spec_body(cart=basket["cart"], total_amount=3.18), format="json"
    )
    assert paid.status_code == 201, paid.json()
    assert Order.objects.get(transaction_id=paid.json()["transaction_id"]).total == Decimal("3.18")
    before = snapshot()
    claimed_discount = client_in(None).post(
        "/api/checkout", spec_body(cart=basket["cart"], total_amount=3.18), format="json"
    )
    assert claimed_discount.status_code == 409  # the home store's total is 3.98
    assert snapshot() == before
    at_home = client_in(None).post(
        "/api/checkout", spec_body(cart=basket["cart"], total_amount=3.98), format="json"
    )
    assert at_home.status_code == 201, at_home.json()


def test_the_cart_is_priced_with_its_own_stores_promotions(apple_deal):
    customer = client_in("city")
    customer.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    assert customer.get("/api/cart").json()["total"] == 3.18
    at_home = client_in(None)
    at_home.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    assert at_home.get("/api/cart").json()["total"] == 3.98


def test_a_coupon_of_another_stores_promotion_is_refused_with_its_reason(shop, city):
    make_promotion(code="city-coupon", coupon_code="CITY5", stores=[city])
    basket = {"cart": [{"product_id": "12345", "quantity": 1}], "coupons": ["city5"]}
    assert client_in("city").post("/api/checkout/quote", basket, format="json").status_code == 200
    refused = client_in(None).post("/api/checkout/quote", basket, format="json")
    assert refused.status_code == 422
    assert refused.json()["detail"]["coupons"][0]["reason"] == "not_in_store"


def test_an_all_stores_promotion_runs_in_every_store(shop, city):
    make_promotion(code="everywhere", products=[shop["apple"]])
    assert shown_on_apple(client_in("city")) == shown_on_apple(client_in(None)) == ["everywhere"]


# The limit per store


@pytest.fixture
def later():
    start = timezone.now().replace(microsecond=0) + DAY
    return {"valid_from": start, "valid_until": start + 10 * DAY}


@pytest.fixture
def north(db):
    return Store.objects.create(code="north", name="North Store")


def test_two_stores_can_each_run_the_maximum(city, north, later, settings):
    settings.MAX_ACTIVE_PROMOTIONS = 2
    for store in (city, north):
        for n in range(2):
            make_promotion(code=f"{store.code}-{n}", stores=[store], **later)
    with pytest.raises(TooManyActivePromotions) as refused:
        make_promotion(code="city-2", stores=[city], **later)
    assert refused.value.detail["stores"] == ["city"]
    assert "City Store (city)" in refused.value.message
    assert "North Store" not in refused.value.message
    make_promotion(code="home-0", stores=[get_home_store()], **later)  # the home store has room
    assert Promotion.objects.count() == 5


def test_an_all_stores_promotion_counts_in_every_store(city, north, later, settings):
    settings.MAX_ACTIVE_PROMOTIONS = 2
    make_promotion(code="everywhere", **later)
    make_promotion(code="city-0", stores=[city], **later)
    make_promotion(code="north-0", stores=[north], **later)  # north: everywhere + this one
    # Full in the city and in the north, so neither takes another, nor does the whole chain.
    for stores, crowded in (([north], ["north"]), ([], ["city", "north"])):
        with pytest.raises(TooManyActivePromotions) as refused:
            make_promotion(code="one-more", stores=stores, **later)
        assert refused.value.detail["stores"] == crowded
    assert not Promotion.objects.filter(code="one-more").exists()
    make_promotion(code="home-0", stores=[get_home_store()], **later)  # home: everywhere + this


def test_moving_a_promotion_into_a_full_store_is_refused(city, north, later, settings):
    settings.MAX_ACTIVE_PROMOTIONS = 1
    make_promotion(code="city-0", stores=[city], **later)
    moving = make_promotion(code="north-0", stores=[north], **later)
    with pytest.raises(TooManyActivePromotions, match="City Store"):
        save_promotion(promotion=moving, stores=[city])
    assert list(moving.stores.values_list("code", flat=True)) == ["north"]


def test_the_admin_form_refuses_a_full_store_naming_it(city, later, settings, client):
    from promotions.admin import PromotionForm

    settings.MAX_ACTIVE_PROMOTIONS = 1
    make_promotion(code="city-0", stores=[city], **later)
    fields = {
        "name": "Basket deal",
        "description": "10 % off",
        "kind": "percentage",
        "percent": "10",
        "applies_to": "basket",
        "valid_from": later["valid_from"],
        "valid_until": later["valid_until"],
        "is_active": True,
        "priority": 0,
    }
    full = PromotionForm(data={**fields, "stores": [city.pk]})
    assert not full.is_valid()
    assert "City Store (city)" in full.non_field_errors()[0]
    assert PromotionForm(data={**fields, "stores": [get_home_store().pk]}).is_valid()


# The staff API


def marketing(*extra: str) -> APIClient:
    """Staff who may write promotions through the API (and hold `extra` permissions)."""
    user = get_user_model().objects.create_user("marketing", password="pw-mkt-123", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_promotion", "change_promotion", *extra])
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def chain_marketing_client():
    """Writes the promotions of every store (catalog.manage_all_stores)."""
    return marketing("manage_all_stores")


def api_body(**fields) -> dict:
    now = timezone.now()
    return {
        "code": "apples",
        "name": "Apples",
        "description": "20 % off apples",
        "kind": "percentage",
        "percent": "20",
        "applies_to": "products",
        "products": ["12345"],
        "valid_from": (now - DAY).isoformat(),
        "valid_until": (now + DAY).isoformat(),
        **fields,
    }


def test_staff_choose_the_stores_by_code(
    chain_marketing_client, city, north, django_capture_on_commit_callbacks
):
    created = chain_marketing_client.post(
        "/api/promotions", api_body(stores=["north", "city"]), format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["stores"] == ["city", "north"]
    assert shown_on_apple(client_in("city")) == ["apples"]
    assert shown_on_apple(client_in(None)) == []

    with django_capture_on_commit_callbacks(execute=True):  # the stores' change is forgotten
        everywhere = chain_marketing_client.patch(
            "/api/promotions/apples", {"stores": []}, format="json"
        )
    assert everywhere.json()["stores"] == []
    assert shown_on_apple(client_in(None)) == ["apples"]
    untouched = chain_marketing_client.patch(
        "/api/promotions/apples", {"priority": 3}, format="json"
    )
    assert untouched.json()["stores"] == []


def test_an_unknown_store_code_is_a_400_naming_it_and_saves_nothing(chain_marketing_client, city):
    refused = chain_marketing_client.post(
        "/api/promotions", api_body(stores=["city", "atlantis"]), format="json"
    )
    assert refused.status_code == 400
    assert "atlantis" in refused.json()["message"] and "city" not in refused.json()["message"]
    assert not Promotion.objects.exists()

    chain_marketing_client.post("/api/promotions", api_body(stores=["city"]), format="json")
    changed = chain_marketing_client.patch(
        "/api/promotions/apples", {"stores": ["atlantis"]}, format="json"
    )
    assert changed.status_code == 400
    assert list(Promotion.objects.get().stores.values_list("code", flat=True)) == ["city"]


def test_the_limit_refusal_names_the_store_in_the_api(chain_marketing_client, city, settings):
    settings.MAX_ACTIVE_PROMOTIONS = 1
    chain_marketing_client.post("/api/promotions", api_body(stores=["city"]), format="json")
    refused = chain_marketing_client.post(
        "/api/promotions", api_body(code="more", stores=["city"]), format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["detail"]["stores"] == ["city"]
    assert "City Store (city)" in refused.json()["message"]


# One store


def test_a_shop_of_one_store_sees_no_difference(shop):
    """No store named anywhere: the responses have the fields and the figures they always had;
    its staff, assigned to no store, write promotions for every store as before."""
    manager_client = marketing()
    created = manager_client.post("/api/promotions", api_body(), format="json")
    assert created.status_code == 201 and created.json()["stores"] == []
    customer = client_in(None)
    product = customer.get("/api/products/12345").json()
    assert [p["id"] for p in product["promotions"]] == ["apples"]
    listed = customer.get("/api/promotions").json()["promotions"]
    assert [p["id"] for p in listed] == ["apples"] and "stores" not in listed[0]
    detail = customer.get("/api/promotions/apples").json()
    assert detail["products"]["results"][0]["price"] == 1.99 and "stores" not in detail
    quote = customer.post(
        "/api/checkout/quote", {"cart": [{"product_id": "12345", "quantity": 2}]}, format="json"
    ).json()
    assert quote["total"] == 3.18


# In German


GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def test_a_german_reader_is_told_in_german(apple_deal, chain_marketing_client, settings):
    home = client_in(None)
    elsewhere = home.get("/api/promotions/city-apples", **GERMAN).json()
    assert elsewhere["message"] == "Die Aktion city-apples läuft nicht in Our shop."
    make_promotion(code="city-coupon", coupon_code="CITY5", stores=[Store.objects.get(code="city")])
    refused = home.post(
        "/api/checkout/quote",
        {"cart": [{"product_id": "12345", "quantity": 1}], "coupons": ["CITY5"]},
        format="json",
        **GERMAN,
    ).json()
    assert refused["message"] == "Der Rabattcode CITY5 gilt nicht in dieser Filiale."
    unknown = chain_marketing_client.post(
        "/api/promotions", api_body(stores=["atlantis"]), format="json", **GERMAN
    ).json()
    assert unknown["message"] == "stores: Unbekannte Filialen: atlantis."
    settings.MAX_ACTIVE_PROMOTIONS = 2
    full = chain_marketing_client.post(
        "/api/promotions", api_body(code="more", stores=["city"]), format="json", **GERMAN
    ).json()
    assert full["message"].startswith("Eine Filiale führt höchstens 2 Aktionen gleichzeitig")
    assert "City Store (city)" in full["message"]


# The admin


def test_the_admin_lists_filters_and_chooses_stores(admin_client, city, north, later):
    make_promotion(code="city-only", stores=[city], **later)
    make_promotion(code="north-only", stores=[north], **later)
    make_promotion(code="everywhere", **later)
    page = admin_client.get("/admin/promotions/promotion/").content.decode()
    assert "<th" in page and "Stores" in page and "All stores" in page
    in_city = admin_client.get("/admin/promotions/promotion/?store=city").context["cl"]
    assert sorted(p.code for p in in_city.result_list) == ["city-only", "everywhere"]
    # The running count above the list is the store's when filtered by one.
    make_promotion(code="now-in-city", stores=[city])
    make_promotion(code="now-in-north", stores=[north])
    counted = admin_client.get("/admin/promotions/promotion/?store=city").content.decode()
    assert "1 of at most 5 promotions running now in city" in counted
    assert (
        "2 of at most 5 promotions running now ("
        in admin_client.get("/admin/promotions/promotion/").content.decode()
    )
    change = admin_client.get(f"/admin/promotions/promotion/{Promotion.objects.first().pk}/change/")
    assert 'name="stores"' in change.content.decode()


# --- a store manager's promotions ----------------------------------------------------------------


@pytest.fixture
def city_manager(manager, city):
    city.staff.add(manager)  # works in the city store only; the home store is not theirs
    return manager


def test_a_store_manager_sees_their_stores_and_every_stores_promotions_only(
    city_manager, manager_client, city, north
):
    make_promotion(code="city-only", stores=[city])
    make_promotion(code="north-only", stores=[north])
    make_promotion(code="everywhere")
    listed = manager_client.get("/admin/promotions/promotion/")
    codes = {p.code for p in listed.context["cl"].result_list}
    assert codes == {"city-only", "everywhere"}
    north_page = manager_client.get(
        f"/admin/promotions/promotion/{Promotion.objects.get(code='north-only').pk}/change/"
    )
    assert north_page.status_code in (302, 404)  # not among theirs: the admin says it is gone


def test_a_store_manager_changes_only_promotions_of_their_own_stores(
    city_manager, manager_client, city
):
    everywhere = make_promotion(code="everywhere", name="Everywhere")
    page = f"/admin/promotions/promotion/{everywhere.pk}/change/"
    assert manager_client.get(page).status_code == 200  # seen, read only
    assert manager_client.post(page, {"name": "Mine now"}).status_code == 403
    assert (
        manager_client.post(f"/admin/promotions/promotion/{everywhere.pk}/delete/").status_code
        == 403
    )
    everywhere.refresh_from_db()
    assert everywhere.name == "Everywhere"
    form = manager_client.get("/admin/promotions/promotion/add/").context["adminform"].form
    assert list(form.fields["stores"].queryset) == [city]  # their stores only to choose from


def test_the_staff_api_refuses_a_store_manager_a_promotion_beyond_their_stores(
    city_manager, city, north
):
    manager_client = APIClient()
    manager_client.force_authenticate(city_manager)
    everywhere = manager_client.post("/api/promotions", api_body(code="all"), format="json")
    assert everywhere.status_code == 403 and everywhere.json()["code"] == "not_your_store"
    other = manager_client.post(
        "/api/promotions", api_body(code="n", stores=["city", "north"]), format="json"
    )
    assert other.status_code == 403 and other.json()["detail"]["store"] == "north"
    assert not Promotion.objects.filter(code__in=["all", "n"]).exists()

    mine = manager_client.post(
        "/api/promotions", api_body(code="c", stores=["city"]), format="json"
    )
    assert mine.status_code == 201 and mine.json()["stores"] == ["city"]
    widened = manager_client.patch("/api/promotions/c", {"stores": []}, format="json")
    assert widened.status_code == 403
    assert list(Promotion.objects.get(code="c").stores.all()) == [city]

    make_promotion(code="north-deal", name="North deal", stores=[north])
    refused = manager_client.patch("/api/promotions/north-deal", {"name": "Mine"}, format="json")
    assert refused.status_code == 403
    assert Promotion.objects.get(code="north-deal").name == "North deal"
