from django.urls import path, re_path

from catalog import api

# The product reads carry promotions: promotions/urls.py routes them.
urlpatterns = [
    path("api/stores", api.StoreListApi.as_view(), name="stores"),
    path("api/stores/current", api.CurrentStoreApi.as_view(), name="current-store"),
    path("api/inventory/<str:product_id>", api.InventoryUpdateApi.as_view(), name="inventory"),
    path(
        "api/products/<str:product_id>/codes",
        api.ProductCodeAddApi.as_view(),
        name="product-codes",
    ),
    path(
        "api/products/<str:product_id>/codes/<str:code>",
        api.ProductCodeRemoveApi.as_view(),
        name="product-code",
    ),
    re_path(r"^p/(?P<product_id>[^/]+)/qr\.(?P<fmt>svg|png)$", api.product_qr, name="product-qr"),
]
