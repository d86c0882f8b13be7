from django.urls import path

from recommendations import api

urlpatterns = [
    path(
        "api/products/<str:product_id>/recommendations",
        api.ProductRecommendationsApi.as_view(),
        name="product-recommendations",
    ),
    path(
        "api/cart/recommendations",
        api.CartRecommendationsApi.as_view(),
        name="cart-recommendations",
    ),
]
