from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from grocery import health

urlpatterns = [
    # First: the product lookup (its first pattern) is every scan, and each pattern tried before
    # it costs every scan too. None of its paths is under admin/.
    path("", include("promotions.urls")),
    # Before the admin: its catch-all would answer the old order paths with 404.
    path("admin/checkout/transaction/", include("checkout.admin_redirects")),
    path("admin/reports/", include("shop.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("catalog.urls")),
    path("", include("checkout.urls")),
    path("", include("customers.urls")),
    path("", include("recommendations.urls")),
    path("", include("shop.metrics_urls")),  # /metrics, staff only
    path("", include("frontend.urls")),
]

handler404 = "grocery.errors.not_found_view"
handler500 = "grocery.errors.server_error_view"
