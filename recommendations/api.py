"""HTTP for the recommendations: apart from the product lookup, which they never slow down."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.schema import PRODUCT_NOT_FOUND
from catalog.selectors import get_product_json
from catalog.stores import store_code_of
from checkout.services.carts import find_cart
from grocery.customer import cart_token_of
from recommendations import selectors
from recommendations.schema import CartRecommendationsOutput, ProductRecommendationsOutput


class ProductRecommendationsApi(APIView):
    @extend_schema(
        summary="Products often bought together with this one, as the store sells them now",
        responses={200: ProductRecommendationsOutput, 404: PRODUCT_NOT_FOUND},
    )
    def get(self, request, product_id: str):
        store = store_code_of(request)
        get_product_json(product_id, store=store)  # 404 unless the store sells it (cached)
        found = selectors.bought_together_with_product(product_id, store=store)
        return Response({"product_id": product_id, "bought_together": found})


class CartRecommendationsApi(APIView):
    @extend_schema(
        summary="Under the cart: your usual items not in it, and what is often bought with it",
        responses={200: CartRecommendationsOutput},
    )
    def get(self, request):
        cart = find_cart(token=cart_token_of(request), user=request.user)
        in_cart = [] if cart is None else cart.lines.values_list("product__product_id", flat=True)
        in_cart = list(in_cart)
        store = store_code_of(request) or (cart.store.code if cart is not None else None)
        return Response(
            {
                "usual": selectors.usual_items(request.user, store=store, exclude=set(in_cart)),
                "bought_together": selectors.bought_together_with_cart(in_cart, store=store),
            }
        )
