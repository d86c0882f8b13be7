from django.urls import path, re_path

from catalog import api

urlpatterns = [
    path("api/products/", api.ProductListApi.as_view(), name="product-list"),
    path("api/products/gtin/<str:gtin>", api.ProductByGtinApi.as_view(), name="product-by-gtin"),
    path("api/products/<str:product_id>", api.product_detail, name="product-detail"),
    path("api/scan/<str:code>", api.ScanApi.as_view(), name="scan"),
    path("api/inventory/<str:product_id>", api.InventoryUpdateApi.as_view(), name="inventory"),
    re_path(r"^p/(?P<product_id>[^/]+)/qr\.(?P<fmt>svg|png)$", api.product_qr, name="product-qr"),
    path("01/<str:gtin>", api.digital_link, name="digital-link"),
    re_path(r"^01/(?P<gtin>[^/]+)/(?P<qualifiers>.+)$", api.digital_link_with_qualifiers),
]
