from django.urls import path

from shop.metrics import MetricsApi

urlpatterns = [path("metrics", MetricsApi.as_view(), name="metrics")]
