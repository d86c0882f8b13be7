from django.urls import path, re_path

from promotions import api

urlpatterns = [
    path("api/promotions", api.PromotionListApi.as_view(), name="promotion-list"),
    path("api/promotions/<slug:code>", api.PromotionDetailApi.as_view(), name="promotion-detail"),
    re_path(
        r"^promo/(?P<code>[-\w]+)/qr\.(?P<fmt>svg|png)$", api.promotion_qr, name="promotion-qr"
    ),
]
