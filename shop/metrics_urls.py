"""/metrics for Prometheus (staff only), at the site's root where scrapers look for it."""

from django.urls import path

from shop.metrics import MetricsApi

urlpatterns = [path("metrics", MetricsApi.as_view(), name="metrics")]
