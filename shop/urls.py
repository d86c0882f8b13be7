from django.urls import path

from shop import views
from shop.metrics import MetricsApi

urlpatterns = [
    path("metrics", MetricsApi.as_view(), name="metrics"),
    path("vat.csv", views.vat_csv, name="shop-vat-csv"),
]
