from django.urls import path, re_path

from promotions import api, product_api

urlpatterns = [
    # The hot path first (grocery/urls.py); <str:> never spans a "/", so it shadows no other.
    path("api/products/<str:product_id>", product_api.product_detail, name="product-detail"),
    path("api/products/", product_api.ProductListApi.as_view(), name="product-list"),
    path(
        "api/products/gtin/<str:gtin>",
        product_api.ProductByGtinApi.as_view(),
        name="product-by-gtin",
    ),
    path("api/scan/<str:code>", product_api.ScanApi.as_view(), name="scan"),
    path("01/<str:gtin>", product_api.digital_link, name="digital-link"),
    re_path(r"^01/(?P<gtin>[^/]+)/(?P<qualifiers>.+)$", product_api.digital_link_with_qualifiers),
    path("api/promotions", api.PromotionListApi.as_view(), name="promotion-list"),
    path("api/promotions/<slug:code>", api.PromotionDetailApi.as_view(), name="promotion-detail"),
    re_path(
        r"^promo/(?P<code>[-\w]+)/qr\.(?P<fmt>svg|png)$", api.promotion_qr, name="promotion-qr"
    ),
    re_path(
        r"^c/(?P<coupon_code>[-A-Za-z0-9]+)/qr\.(?P<fmt>svg|png)$", api.coupon_qr, name="coupon-qr"
    ),
]
